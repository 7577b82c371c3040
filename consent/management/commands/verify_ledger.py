import sys

from django.core.management.base import BaseCommand, CommandError

from consent.models import Site
from consent.proof.copies import CopyError, parse_copy
from consent.proof.verify import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every subject's hash chain, check states and receipts against the events and every "
        "signed checkpoint against the ledger; exit non-zero naming the site and what broke."
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site's key.")
        parser.add_argument("--workers", type=int, default=None, help="Processes (PostgreSQL); default: CPUs.")
        parser.add_argument(
            "--copy",
            metavar="FILE",
            help="A copy of the checkpoints kept outside the database (checkpoint_ledger --copy): each of its "
            "checkpoints must still be in the database, unchanged.",
        )

    def handle(self, *args, site=None, workers=None, copy=None, **options):
        entries = None
        if copy:
            try:
                with open(copy, encoding="utf-8") as lines:
                    entries = parse_copy(lines)
            except (OSError, UnicodeDecodeError, CopyError) as exc:
                raise CommandError(f"Cannot read the copy of the checkpoints {copy}: {exc}") from exc
        target = None
        if site:
            target = Site.objects.filter(key=site).first()
            if target is None:
                raise CommandError(f"Unknown site {site!r}.")
        report = verify_ledger(target, workers=workers, copy=entries)
        for note in report.notes:
            self.stdout.write(note)
        summary = (
            f"{report.events} events, {report.subjects} subjects, {report.checkpoints} checkpoints "
            f"in {report.seconds:.1f} s ({report.workers} process{'es' if report.workers > 1 else ''})"
        )
        if entries is not None:
            summary += f"; {len(entries)} checkpoints in the copy {copy}"
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"Ledger broken: {problem}")
            self.stderr.write(summary)
            sys.exit(1)
        self.stdout.write(f"ledger ok: {summary}")
