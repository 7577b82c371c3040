from django.core.management.base import BaseCommand, CommandError

from consent.models import Site
from consent.proof.checkpoints import CheckpointError, checkpoint_sites
from consent.proof.copies import CopyError, append_missing, copy_line


class Command(BaseCommand):
    help = (
        "Record a signed checkpoint (Merkle roots over the events and chain heads) for every site whose "
        "ledger grew since its last one. Run it on a schedule, e.g. hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site's key.")
        parser.add_argument(
            "--copy",
            metavar="FILE",
            help="Also append to FILE, kept outside the database, a signed line for every checkpoint it does not "
            "hold yet ('-': each new one to standard output); verify_ledger --copy FILE then notices a deleted "
            "newest checkpoint.",
        )

    def handle(self, *args, site=None, copy=None, **options):
        sites = None
        if site:
            sites = list(Site.objects.filter(key=site))
            if not sites:
                raise CommandError(f"Unknown site {site!r}.")
        try:
            done = checkpoint_sites(sites)
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        say = self.stderr if copy == "-" else self.stdout  # standard output holds only the copy then
        for target, checkpoint in done:
            if checkpoint is None:
                say.write(f"site {target.key}: unchanged since its last checkpoint")
                continue
            say.write(
                f"site {target.key}: checkpoint {checkpoint.pk} up to event {checkpoint.upto_event_id}, "
                f"{checkpoint.event_count} events, {checkpoint.head_count} heads, "
                f"events root {checkpoint.events_root[:16]}…"
            )
            if copy == "-":
                self.stdout.write(copy_line(checkpoint, target.key))
        if copy and copy != "-":
            try:
                appended = append_missing(copy, sites)
            except (OSError, UnicodeDecodeError, CopyError) as exc:
                raise CommandError(f"The checkpoints are stored but could not be copied to {copy}: {exc}") from exc
            say.write(f"copy {copy}: {appended} checkpoint{'' if appended == 1 else 's'} appended")
