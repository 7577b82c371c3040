from django.core.management.base import BaseCommand

from features.double_opt_in import forget_expired


class Command(BaseCommand):
    help = (
        "Forget the address and message of double opt-in requests that expired unconfirmed "
        "(nothing was consented, so nothing is kept; run daily)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{forget_expired()} unconfirmed subscription request(s) forgotten")
