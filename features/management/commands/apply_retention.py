from django.core.management.base import BaseCommand

from features.retention import apply_all


class Command(BaseCommand):
    help = "Apply each site's retention periods: compact superseded consent events, delete old analytics data."

    def add_arguments(self, parser):
        parser.add_argument("--site", action="append", dest="sites", help="Only this site key (repeatable).")

    def handle(self, *args, sites=None, **options):
        results = apply_all(site_keys=sites)
        for r in results:
            self.stdout.write(
                f"{r.site}: {r.events_removed} superseded event(s) compacted in {len(r.compactions)} batch(es), "
                f"{r.stats_removed} statistic row(s) and {r.deliveries_removed} delivery log(s) deleted"
            )
        self.stdout.write(self.style.SUCCESS(f"retention applied to {len(results)} site(s)"))
