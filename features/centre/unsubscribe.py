"""One-click unsubscribe (RFC 8058) for the customer's emails.

The URL is signed per subject and purpose and does not expire: an email in someone's inbox must
keep working. Opening it (GET) changes nothing, because mail scanners follow links; the
`List-Unsubscribe=One-Click` POST withdraws at once, with no login, and a replay is harmless.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from consent.exceptions import ConsentError
from consent.models import ConsentState, Decision, Method, Purpose, Site, Subject
from consent.policy_in_force import current_policy_version
from consent.services.decisions import record_decision
from features.centre.preferences import LinkError, subject_ref

SALT = "features.centre.unsubscribe"
ONE_CLICK = "List-Unsubscribe=One-Click"
REFUSED = (Decision.DENIED, Decision.WITHDRAWN)


def unsubscribable(purpose):
    """Service and legal notices (contract, legal obligation, essential) have no unsubscribe."""
    return not purpose.always_allowed


def unsubscribe_url(site, subject_id, purpose):
    if not unsubscribable(purpose):
        raise ConsentError(
            "unsubscribe.not_optional",
            f"Purpose {purpose.key!r} is a service or legal notice and cannot be unsubscribed from.",
            {"purpose": ["This purpose is always on (essential, contract or legal obligation)."]},
        )
    token = signing.dumps({"s": site.key, "u": subject_id, "p": purpose.key}, salt=SALT)
    return settings.PUBLIC_BASE_URL + reverse("consent:unsubscribe", kwargs={"token": token})


def list_unsubscribe_headers(site, subject_id, purpose):
    """The two header values a mailer puts on a message (RFC 2369 and RFC 8058)."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(site, subject_id, purpose)}>", "List-Unsubscribe-Post": ONE_CLICK}


def read_unsubscribe_token(token):
    """(site, subject id, purpose) for a signed URL token; LinkError when it opens nothing."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise LinkError(400, "bad") from None
    if not isinstance(payload, dict) or not {"s", "u", "p"} <= set(payload):
        raise LinkError(400, "bad")
    site = Site.objects.filter(key=payload["s"]).first()
    purpose = Purpose.objects.filter(site=site, key=payload["p"]).first() if site else None
    subject = Subject.objects.filter(pk=payload["u"], site=site).first() if site else None
    if purpose is None or subject is None:
        raise LinkError(410, "unknown")
    if subject.erased_at is not None:
        raise LinkError(410, "erased")
    return site, subject.pk, purpose


def is_unsubscribed(subject_id, purpose):
    state = ConsentState.objects.filter(subject_id=subject_id, purpose=purpose, vendor__isnull=True).first()
    return state is not None and state.state in REFUSED


def unsubscribe(site, subject_id, purpose, *, ip=None, user_agent="", jurisdiction=""):
    """Withdraw (or object to) one purpose at once. Returns True if an event was recorded, False on a replay."""
    with transaction.atomic():
        # Serialise concurrent clicks for this subject so that only one event is written.
        Subject.objects.select_for_update().filter(pk=subject_id).first()
        if is_unsubscribed(subject_id, purpose):
            return False
        record_decision(
            site,
            receipt_id=uuid.uuid4(),
            decisions={purpose.key: Decision.WITHDRAWN},
            method=Method.EMAIL_LINK,
            ref=subject_ref(subject_id),
            subject_id=subject_id,
            policy_version=current_policy_version(site),
            ip=ip,
            user_agent=user_agent,
            jurisdiction=jurisdiction,
        )
    return True
