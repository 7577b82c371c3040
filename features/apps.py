from django.apps import AppConfig


class FeaturesConfig(AppConfig):
    """Policies and notices, rights, the preference centre, webhooks, expiry and roll-ups.

    Built on the ledger core (`consent`); owns no models of its own (they live with the ledger so
    the ledger's migrations and guards stay in one place), only behaviour, tasks and commands.
    """

    name = "features"
    verbose_name = "Features on the ledger"
