from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo sites of the seed businesses and the commands that load them."""

    name = "demo"
    verbose_name = "Demo sites"
