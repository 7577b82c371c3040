from django.apps import AppConfig

from consent.signals import consent_recorded


class FeaturesConfig(AppConfig):
    """Policies and notices, rights, the preference centre, webhooks, expiry and roll-ups.

    Built on the ledger core (`consent`); owns no models of its own (they live with the ledger so
    the ledger's migrations and guards stay in one place), only behaviour, tasks and commands.
    """

    name = "features"
    verbose_name = "Features on the ledger"

    def ready(self):
        # Listeners of the ledger: it announces each recorded change and calls none of them.
        from features.webhooks import on_consent_recorded, wants_changes  # models load once apps are ready

        consent_recorded.connect(on_consent_recorded, wants=wants_changes, dispatch_uid="features.webhooks")
