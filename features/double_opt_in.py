"""Double opt-in for email purposes: a subscription is pending until the person confirms it.

An email marketing sender must prove "explicit consent" for each address. A request (from the
site's back end through the API, or from the preference centre) records nothing granted: it
stores a `PendingSubscription` and emails a signed confirmation link to the address. Opening
the link shows a page (mail scanners follow links, so a GET changes nothing); its button POSTs
and only then is `granted` recorded, with method `double_opt_in` and evidence of when it was
asked and confirmed, which message was sent (its Message-ID and the SHA-256 of the message as
sent) and a hash of the address. The address itself stays on the subscription row, which erasure
can blank, not in the append-only ledger. A request not confirmed within
`DOUBLE_OPT_IN_DAYS` expires: its link says so and opens nothing.
"""

import hashlib
import uuid
from datetime import timedelta
from email.utils import formatdate

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from consent.exceptions import Conflict, ConsentError
from consent.models import (
    ConsentEvent,
    ConsentState,
    Decision,
    Method,
    PendingSubscription,
    Purpose,
    Subject,
    SubscriptionStatus,
)
from consent.policy_in_force import current_policy_version
from consent.services.audit import record_audit
from consent.services.decisions import record_decision
from features.centre.preferences import LinkError, subject_ref

SALT = "features.double_opt_in"
# At most this many confirmation emails per person and purpose a day: a form cannot be used
# to flood someone's inbox.
MAX_PENDING_PER_DAY = 3


def pending_days():
    return settings.DOUBLE_OPT_IN_DAYS


def address_hash(email):
    """What the ledger keeps of the address: a hash of it (the address stays erasable)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def needs_double_opt_in(purpose):
    return purpose.double_opt_in and not purpose.always_allowed


def refuse_direct_grants(site, decisions, purposes=None):
    """A `granted` for a double opt-in purpose may not be recorded directly: 400, field named.

    `purposes` (key to Purpose) is the catalogue the caller already holds, sparing a query.
    """
    if not isinstance(decisions, dict):
        return
    keys = [k for k, v in decisions.items() if v == Decision.GRANTED]
    if not keys:
        return
    if purposes is None:  # keys come from the request: matched here, never put in a query
        purposes = {p.key: p for p in Purpose.objects.filter(site=site, double_opt_in=True)}
    guarded = {k for k in keys if isinstance(k, str) and k in purposes and purposes[k].double_opt_in}
    if guarded:
        raise ConsentError(
            "decision.double_opt_in_required",
            "These purposes are granted only when the person confirms from an email link.",
            {
                f"decisions.{key}": [
                    "Double opt-in: POST /api/v1/subjects/{ref}/subscriptions to send the confirmation email."
                ]
                for key in sorted(guarded)
            },
        )


def _check_request(site, purpose_key, email):
    errors = {}
    key = str(purpose_key)[:64] if purpose_key else ""
    purpose = Purpose.objects.filter(site=site, key=key).first() if key and "\x00" not in key else None
    if purpose is None:
        errors["purpose"] = [f"Unknown purpose {key!r} for site {site.key!r}."]
    elif not needs_double_opt_in(purpose):
        errors["purpose"] = ["This purpose does not use double opt-in; record the decision directly."]
    try:
        if not isinstance(email, str) or len(email) > 254:
            raise ValidationError("bad")
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Expected an email address."]
    if errors:
        first, messages = next(iter(errors.items()))
        raise ConsentError("subscription.invalid", f"{first}: {messages[0]}", errors)
    return purpose


def is_granted(subject_id, purpose):
    state = ConsentState.objects.filter(subject_id=subject_id, purpose=purpose, vendor__isnull=True).first()
    return state is not None and state.state == Decision.GRANTED


def request_subscription(site, subject_id, purpose_key, email, *, via, language="", now=None):
    """Store a pending request and email its confirmation link. Returns the PendingSubscription.

    Raises ConsentError (400) on a bad purpose or address, Conflict (409) when the purpose is
    already granted, and 429 when too many confirmations were sent today.
    """
    purpose = _check_request(site, purpose_key, email)
    now = now or timezone.now()
    subject = Subject.objects.get(pk=subject_id, site=site)
    if subject.erased_at is not None:
        raise ConsentError("subject.erased", "This subject was erased.", {"subject_ref": ["Erased."]}, 410)
    if is_granted(subject_id, purpose):
        raise Conflict(
            "subscription.already_granted",
            f"{purpose.key} is already granted for this person.",
            {"purpose": ["Already subscribed."]},
        )
    recent = PendingSubscription.objects.filter(
        subject_id=subject_id, purpose=purpose, requested_at__gte=now - timedelta(days=1)
    ).count()
    if recent >= MAX_PENDING_PER_DAY:
        raise ConsentError(
            "subscription.too_many",
            f"At most {MAX_PENDING_PER_DAY} confirmation emails a day for one person and purpose.",
            {"purpose": ["Too many confirmation emails today; try again tomorrow."]},
            429,
        )
    with transaction.atomic():
        pending = PendingSubscription.objects.create(
            site=site,
            subject_id=subject_id,
            purpose=purpose,
            email=email,
            via=via,
            requested_at=now,
            expires_at=now + timedelta(days=pending_days()),
        )
        message = _confirmation_message(site, purpose, pending, language or site.default_language)
        raw = message.message().as_bytes()
        pending.message_id = message.extra_headers["Message-ID"]
        pending.message_sha256 = hashlib.sha256(raw).hexdigest()
        pending.message = raw.decode("utf-8", "replace")
        pending.save(update_fields=["message_id", "message_sha256", "message"])
        record_audit(
            action="subscription.requested",
            site=site,
            actor_label=via,
            subject=subject,
            obj=pending,
            data={"purpose": purpose.key, "expires_at": pending.expires_at.isoformat()},
            now=now,
        )
        # Sent inside the transaction: if the mail server refuses, no pending row claims a message.
        message.send()
    return pending


def confirmation_url(pending):
    token = signing.dumps({"i": pending.pk}, salt=SALT)
    return settings.PUBLIC_BASE_URL + reverse("consent:confirm-subscription", kwargs={"token": token})


def _confirmation_message(site, purpose, pending, language):
    with translation.override(language):
        context = {
            "site": site,
            "purpose_name": purpose.text(language, "name"),
            "url": confirmation_url(pending),
            "expires_at": pending.expires_at,
            "days": pending_days(),
        }
        subject = render_to_string("consent/email/double_opt_in_subject.txt", context).strip()
        text = render_to_string("consent/email/double_opt_in.txt", context)
    domain = settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    # Plain text with a fixed Date and Message-ID: every rendering of the message, including the
    # one the mail backend sends, is byte for byte the one hashed into the proof.
    return EmailMessage(
        subject=subject,
        body=text,
        to=[pending.email],
        headers={
            "Message-ID": make_msgid(domain=domain),
            "Date": formatdate(pending.requested_at.timestamp()),
            "Auto-Submitted": "auto-generated",
        },
    )


def read_confirmation(token):
    """The PendingSubscription a link opens; LinkError when it is bad, unknown, erased or expired."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise LinkError(400, "bad") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        raise LinkError(400, "bad")
    pending = PendingSubscription.objects.select_related("site", "purpose", "subject").filter(pk=payload["i"]).first()
    if pending is None:
        raise LinkError(410, "unknown")
    if pending.subject.erased_at is not None:
        raise LinkError(410, "erased")
    return pending


def is_expired(pending, now=None):
    return pending.status == SubscriptionStatus.PENDING and (now or timezone.now()) >= pending.expires_at


def confirm(pending, *, ip=None, user_agent="", now=None):
    """Record the grant the person confirmed. Returns True if recorded now, False if it already was.

    Raises LinkError(410, "confirmation_expired") for a request past its time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        pending = PendingSubscription.objects.select_for_update().select_related("site", "purpose").get(pk=pending.pk)
        if pending.status == SubscriptionStatus.CONFIRMED:
            return False
        if is_expired(pending, now):
            raise LinkError(410, "confirmation_expired")
        site, purpose = pending.site, pending.purpose
        receipt_id = uuid.uuid4()
        evidence = {
            "double_opt_in": {
                "subscription": pending.pk,
                "via": pending.via,
                "requested_at": pending.requested_at.isoformat(),
                "confirmed_at": now.isoformat(),
                "address_sha256": address_hash(pending.email),
                "message_id": pending.message_id,
                "message_sha256": pending.message_sha256,
            }
        }
        record_decision(
            site,
            receipt_id=receipt_id,
            decisions={purpose.key: Decision.GRANTED},
            method=Method.DOUBLE_OPT_IN,
            ref=subject_ref(pending.subject_id),
            policy_version=current_policy_version(site, now),
            ip=ip,
            user_agent=user_agent,
            evidence=evidence,
            now=now,
        )
        event = ConsentEvent.objects.filter(
            subject_id=pending.subject_id, receipt_id=receipt_id, purpose=purpose
        ).first()
        pending.status = SubscriptionStatus.CONFIRMED
        pending.confirmed_at = now
        pending.event = event
        pending.save(update_fields=["status", "confirmed_at", "event"])
        if pending.email and not Subject.objects.filter(pk=pending.subject_id).exclude(email="").exists():
            Subject.objects.filter(pk=pending.subject_id).update(email=pending.email)
    return True


def forget_expired(now=None):
    """Blank the address of requests that expired unconfirmed: nothing was consented, keep nothing."""
    now = now or timezone.now()
    return (
        PendingSubscription.objects.filter(status=SubscriptionStatus.PENDING, expires_at__lte=now)
        .exclude(email="")
        .update(email="", message="")
    )


def pending_purposes(subject_id, now=None):
    """Keys of the purposes with a confirmation email out and not yet expired."""
    now = now or timezone.now()
    return set(
        PendingSubscription.objects.filter(
            subject_id=subject_id, status=SubscriptionStatus.PENDING, expires_at__gt=now
        ).values_list("purpose__key", flat=True)
    )


def request_from_centre(site, subject_id, choices, *, language=""):
    """Take the double opt-in grants out of a preference-centre form and email their confirmation.

    Returns (the remaining choices, to record as usual; the keys of the purposes now pending).
    The address is the one the site gave for the person; without one, the field is named.
    """
    keys = {k for k, v in choices.items() if v == Decision.GRANTED}
    # Keys come from the form: matched here, never put in a query.
    purposes = {p.key: p for p in Purpose.objects.filter(site=site, double_opt_in=True) if p.key in keys}
    wanted = [key for key, p in purposes.items() if not is_granted(subject_id, p)]
    remaining = {k: v for k, v in choices.items() if k not in purposes}
    if not wanted:
        return remaining, []
    email = Subject.objects.filter(pk=subject_id).values_list("email", flat=True).first()
    if not email:
        raise ConsentError(
            "subscription.no_address",
            "We have no email address to send the confirmation to.",
            {key: ["Subscribe from the site's own form: we need your address to confirm."] for key in wanted},
        )
    pending_now = pending_purposes(subject_id)
    for key in wanted:
        if key not in pending_now:
            request_subscription(site, subject_id, key, email, via="preference_centre", language=language)
    return remaining, wanted
