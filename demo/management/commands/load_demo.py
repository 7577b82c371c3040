from django.core.management.base import BaseCommand, CommandError

from demo.history import generate_history
from demo.loader import PUBLISHED_DAYS_AGO, SPECS, load_site
from demo.requests import add_rights_requests


class Command(BaseCommand):
    help = (
        "Load the demo sites built from real privacy policies (idempotent). "
        "With --history DAYS, also record realistic decisions over the past DAYS days and a few rights "
        "requests (one overdue)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--history", type=int, metavar="DAYS", help="Generate decisions over the past DAYS days.")
        parser.add_argument("--visitors", type=int, default=1000, help="Visitors per site for --history.")
        parser.add_argument("--seed", default="demo", help="Seed of the generated history.")

    def handle(self, *args, history=None, visitors=1000, seed="demo", **options):
        if history is not None and not 1 <= history <= PUBLISHED_DAYS_AGO:
            raise CommandError(f"--history must be between 1 and {PUBLISHED_DAYS_AGO} days.")
        if visitors < 1:
            raise CommandError("--visitors must be at least 1.")
        sites = [(spec, load_site(spec)) for spec in SPECS]
        for _, site in sites:
            self.stdout.write(f"site {site.key} {site.name}")
        if history is None:
            return
        for spec, site in sites:
            written = generate_history(site, spec, days=history, visitors=visitors, seed=seed)
            if written is None:
                self.stdout.write(f"history {site.key}: already present, left as it is")
            else:
                self.stdout.write(f"history {site.key}: {visitors} visitors, {written} events over {history} days")
            added = add_rights_requests(site)
            if added:
                self.stdout.write(f"rights requests {site.key}: {added}, one of them overdue")
