"""What the ledger announces. Its write paths send `consent_recorded` and know nothing of who
listens; features that react to consent changes (webhooks today) connect in `ConsentConfig.ready`.
"""

from django.dispatch import Signal


class LedgerSignal(Signal):
    """A signal whose receivers may say which sites' changes they want (`wants(site)`).

    When no receiver wants a site's changes, nothing is sent, and the first-decision statement
    runs on its own, without a transaction around it (no BEGIN and COMMIT round trips). A
    receiver connected without `wants` wants every site. Receivers still get every change of a
    site that any receiver wants, and pick what concerns them.
    """

    def __init__(self):
        super().__init__()
        self._wants = {}

    def connect(self, receiver, sender=None, weak=True, dispatch_uid=None, *, wants=None):
        super().connect(receiver, sender, weak, dispatch_uid)
        self._wants[dispatch_uid or id(receiver)] = wants

    def disconnect(self, receiver=None, sender=None, dispatch_uid=None):
        self._wants.pop(dispatch_uid or id(receiver), None)
        return super().disconnect(receiver, sender, dispatch_uid)

    def wanted(self, site):
        """Whether any receiver wants this site's changes."""
        return self.has_listeners() and any(wants is None or wants(site) for wants in list(self._wants.values()))


# Sent once per recorded request, inside the transaction that wrote the events and after them,
# with `site`, `subject_id` and `events` (in chain order; model instances, or drafts with the
# same fields on PostgreSQL's first-decision path). A receiver's writes (an outbox row, say)
# commit or roll back with the events; work to do after the commit goes to `transaction.on_commit`.
consent_recorded = LedgerSignal()


def publish(site, subject_id, events):
    """Announce the events just written for one subject (nothing is sent for no events)."""
    if events and consent_recorded.wanted(site):
        consent_recorded.send(sender=type(site), site=site, subject_id=subject_id, events=events)
