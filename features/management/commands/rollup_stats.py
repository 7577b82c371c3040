from django.core.management.base import BaseCommand, CommandError

from consent.models import Site
from features.rollup import roll_up


class Command(BaseCommand):
    help = "Add the consent events recorded since the last run to the dashboard's daily stats (run every few minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site key.")

    def handle(self, *args, site=None, **options):
        target = None
        if site:
            target = Site.objects.filter(key=site).first()
            if target is None:
                raise CommandError(f"No site with key {site!r}.")
        results = roll_up(target)
        if results is None:
            self.stdout.write("Ledger writes kept the roll-up waiting; nothing changed, the next run catches up.")
            return
        for key, added in results.items():
            self.stdout.write(f"{key}: {added} event(s) added")
        self.stdout.write(self.style.SUCCESS(f"{sum(results.values())} event(s) rolled up in {len(results)} site(s)"))
