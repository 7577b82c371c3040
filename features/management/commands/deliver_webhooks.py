from django.core.management.base import BaseCommand

from features.webhooks import deliver_due


class Command(BaseCommand):
    help = "Attempt every pending webhook delivery whose retry time has come (for queues that cannot defer)."

    def handle(self, *args, **options):
        outcomes = deliver_due()
        delivered = sum(1 for status in outcomes.values() if status == "delivered")
        self.stdout.write(f"attempted {len(outcomes)}, delivered {delivered}")
