import sys

from django.core.management.base import BaseCommand, CommandError

from consent.ledger import verify_chain
from consent.models import Site


class Command(BaseCommand):
    help = "Recompute every subject's hash chain; exit non-zero naming the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site's key.")

    def handle(self, *args, site=None, **options):
        target = None
        if site:
            target = Site.objects.filter(key=site).first()
            if target is None:
                raise CommandError(f"Unknown site {site!r}.")
        broken = verify_chain(target)
        if broken is not None:
            self.stderr.write(f"Ledger chain broken at {broken}")
            sys.exit(1)
        self.stdout.write("ledger ok")
