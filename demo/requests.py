"""A few rights requests per demo site, so the rights queue has something to show.

One is overdue (received 40 days ago, due after a month), one was received this week, one was
answered; all go through features.rights, so the deadlines and the audit trail are the real thing.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from consent.models import AliasKind, RightsRequest, Subject
from features.rights import complete_rights_request, open_rights_request

# (kind, received days ago, answered days ago or None, details)
REQUESTS = (
    ("access", 40, None, "Please send me a copy of the data you hold about me."),
    ("objection", 3, None, "I object to my data being used for advertising."),
    ("portability", 50, 44, "I would like my data in a machine-readable format."),
)


@transaction.atomic
def add_rights_requests(site, *, now=None):
    """Open REQUESTS for the site's first members; returns how many were added (0 if any exist)."""
    if RightsRequest.objects.filter(site=site).exists():
        return 0
    now = now or timezone.now()
    members = list(
        Subject.objects.filter(site=site, erased_at__isnull=True, aliases__kind=AliasKind.USER)
        .order_by("pk")
        .values_list("pk", flat=True)[: len(REQUESTS)]
    )
    for subject_id, (kind, received, answered, details) in zip(members, REQUESTS, strict=False):
        request = open_rights_request(
            site, subject_id, kind, details=details, via="email", now=now - timedelta(days=received)
        )
        if answered is not None:
            complete_rights_request(request, resolution="Sent by email.", now=now - timedelta(days=answered))
    return len(members)
