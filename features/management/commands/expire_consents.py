from django.core.management.base import BaseCommand

from features.expiry import expire_all


class Command(BaseCommand):
    help = "Record `expired` events for consents older than each site's consent lifetime (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--site", action="append", dest="sites", help="Only this site key (repeatable).")

    def handle(self, *args, sites=None, **options):
        results = expire_all(site_keys=sites)
        for key, count in results.items():
            self.stdout.write(f"{key}: {count} consent(s) expired")
        self.stdout.write(self.style.SUCCESS(f"{sum(results.values())} expired in {len(results)} site(s)"))
