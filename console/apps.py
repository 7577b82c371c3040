from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """Django's admin, with the console's site (second factor, throttled sign-in) as `admin.site`."""

    default = False
    default_site = "console.site.ConsoleSite"
