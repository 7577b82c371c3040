from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """Django's admin, with the console's site (second factor, throttled sign-in) as `admin.site`."""

    default = False
    default_site = "console.site.ConsoleSite"

    def ready(self):
        super().ready()
        # Registration, as Django's own autodiscovery does for `<app>.admin` modules.
        from console.admin import banner, ledger, tcf  # noqa: F401
