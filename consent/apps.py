from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate

from consent import checks  # noqa: F401  (registers the system checks)
from consent.process_caches import caches

ROLE_TABLES = {"auth_group", "auth_permission", "auth_group_permissions", "django_content_type"}


def create_roles(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """After every migrate: the console's groups exist on a fresh install (idempotent).

    Left out when the auth and content-type tables are not there yet (a partial migrate).
    """
    if using != DEFAULT_DB_ALIAS or not ROLE_TABLES <= set(connections[using].introspection.table_names()):
        return
    from consent.roles import setup_roles

    setup_roles()


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent ledger"

    def ready(self):
        # After django_otp's post_migrate (earlier in INSTALLED_APPS), so its permissions exist for the DPO.
        post_migrate.connect(create_roles, sender=self, dispatch_uid="consent.create_roles")
        # The ledger's hot-path hints (their modules load models, so they register once apps are ready).
        from consent.services import first_decision, subjects

        caches.register("ledger.known_aliases", first_decision.known_aliases.clear)
        caches.register("ledger.subject_ids", subjects.subject_ids.forget)
