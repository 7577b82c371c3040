from django.apps import AppConfig


class CookiesConfig(AppConfig):
    name = "cookies"
    verbose_name = "Cookies and banner"

    def ready(self):
        # Connects the signal receivers that drop a site's cached published state on edits.
        from cookies import checks, published  # noqa: F401
