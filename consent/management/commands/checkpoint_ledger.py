from django.core.management.base import BaseCommand, CommandError

from consent.models import Site
from consent.proof.checkpoints import CheckpointError, checkpoint_sites


class Command(BaseCommand):
    help = (
        "Record a signed checkpoint (Merkle roots over the events and chain heads) for every site whose "
        "ledger grew since its last one. Run it on a schedule, e.g. hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site's key.")

    def handle(self, *args, site=None, **options):
        sites = None
        if site:
            sites = list(Site.objects.filter(key=site))
            if not sites:
                raise CommandError(f"Unknown site {site!r}.")
        try:
            done = checkpoint_sites(sites)
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        for target, checkpoint in done:
            if checkpoint is None:
                self.stdout.write(f"site {target.key}: unchanged since its last checkpoint")
            else:
                self.stdout.write(
                    f"site {target.key}: checkpoint {checkpoint.pk} up to event {checkpoint.upto_event_id}, "
                    f"{checkpoint.event_count} events, {checkpoint.head_count} heads, "
                    f"events root {checkpoint.events_root[:16]}…"
                )
