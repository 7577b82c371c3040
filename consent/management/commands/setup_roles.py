from django.core.management.base import BaseCommand

from consent.roles import setup_roles


class Command(BaseCommand):
    help = "Create or refresh the DPO, Editor and Auditor groups and their permissions."

    def handle(self, *args, **options):
        for name, group in setup_roles().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
