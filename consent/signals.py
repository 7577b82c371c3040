"""What the ledger announces. Its write paths send `consent_recorded` and know nothing of who
listens; features that react to consent changes (webhooks today) connect in `ConsentConfig.ready`.
"""

from django.dispatch import Signal

# Sent once per recorded request, inside the transaction that wrote the events and after them,
# with `site`, `subject_id` and `events` (in chain order; model instances, or drafts with the
# same fields on PostgreSQL's first-decision path). A receiver's writes (an outbox row, say)
# commit or roll back with the events; work to do after the commit goes to `transaction.on_commit`.
consent_recorded = Signal()


def publish(site, subject_id, events):
    """Announce the events just written for one subject (nothing is sent for no events)."""
    if events:
        consent_recorded.send(sender=type(site), site=site, subject_id=subject_id, events=events)
