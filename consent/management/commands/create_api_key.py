from django.core.management.base import BaseCommand, CommandError

from consent.models import Site
from consent.services.audit import record_audit
from consent.tokens import SCOPES, make_api_key


class Command(BaseCommand):
    help = "Create an API key for a site. The key is shown once, on the last line; only its hash is kept."

    def add_arguments(self, parser):
        parser.add_argument("site_key", help="The site's key.")
        parser.add_argument("--name", default="default", help="A label for the key (e.g. crm-sync).")
        parser.add_argument(
            "--scopes",
            default="",
            help=f"Comma-separated scopes ({', '.join(sorted(SCOPES))}); empty grants every scope.",
        )

    def handle(self, *args, site_key, name, scopes, **options):
        site = Site.objects.filter(key=site_key).first()
        if site is None:
            raise CommandError(f"Unknown site {site_key!r}.")
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown:
            raise CommandError(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(sorted(SCOPES))}.")
        if not name.strip() or len(name) > 100:
            raise CommandError("--name must be 1-100 characters.")
        row, plaintext = make_api_key(site, name=name.strip(), scopes=wanted)
        record_audit(action="apikey.created", site=site, actor_label="manage.py", obj=row, data={"scopes": wanted})
        self.stdout.write(
            f"API key {row.prefix} '{row.name}' for site {site.key} ({', '.join(wanted) or 'all scopes'})"
        )
        self.stdout.write("Store it now: it cannot be shown again.")
        self.stdout.write(plaintext)
