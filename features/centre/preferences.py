"""The preference centre: who may enter, what the person sees, and the changes they make.

Entry is only by something unguessable: a signed, expiring preference link (made for emails and
account pages) or a subject token signed by the site's own back end with the site secret. Every
change goes through `consent.services.decisions.record_decision` with method `preference_centre`, so the
ledger, the receipts and the webhooks see one path.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from consent.csv_writer import csv_text
from consent.exceptions import ConsentError
from consent.models import (
    AliasKind,
    ConsentState,
    Decision,
    LegalBasis,
    Method,
    Notification,
    NotificationStatus,
    Purpose,
    RightsRequest,
    Site,
    Subject,
    SubjectAlias,
)
from consent.policy_in_force import current_policy_version, reconsent_floors
from consent.rules import judge
from consent.selectors import iso, subject_consents, subject_history, subject_regime
from consent.services.audit import record_audit
from consent.services.decisions import record_decision
from consent.services.subjects import resolve_subject
from consent.tokens import TokenError, read_subject_token

LINK_SALT = "consent.preference-link"
LINK_TTL = timedelta(days=7)
LINK_MAX_TTL = timedelta(days=31)


class LinkError(Exception):
    """A link or token that does not open anything: bad (400), foreign (403), expired (410), gone (410)."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason  # one of: bad, foreign, expired, erased, unknown


# --- entry -----------------------------------------------------------------------------------


def make_preference_link(site, subject_id, *, ttl=LINK_TTL, now=None):
    """An absolute, signed, expiring URL that opens this subject's preference centre."""
    now = now or timezone.now()
    ttl = min(ttl, LINK_MAX_TTL)
    expires_at = (now + ttl).replace(microsecond=0)
    token = signing.dumps({"s": site.key, "u": subject_id, "x": int(expires_at.timestamp())}, salt=LINK_SALT)
    path = reverse("consent:preferences", kwargs={"site_key": site.key})
    return f"{settings.PUBLIC_BASE_URL}{path}?link={token}", expires_at


def read_preference_link(site, token, *, now=None):
    """The subject id a preference link opens for this site; LinkError otherwise."""
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_TTL)
    except signing.SignatureExpired:
        raise LinkError(410, "expired") from None
    except signing.BadSignature:
        raise LinkError(400, "bad") from None
    if not isinstance(payload, dict) or not {"s", "u", "x"} <= set(payload):
        raise LinkError(400, "bad")
    if payload["s"] != site.key:
        raise LinkError(403, "foreign")
    if int(payload["x"]) < now.timestamp():
        raise LinkError(410, "expired")
    return _live_subject(site, payload["u"])


def read_entry_token(site, token, *, now=None):
    """The subject id for a subject token signed by the site's back end (created on first visit)."""
    try:
        user_id = read_subject_token(site, token, now=now.timestamp() if now else None)
    except TokenError as err:
        message = str(err)
        if "expired" in message:
            raise LinkError(410, "expired") from None
        if "signature" in message:
            raise LinkError(403, "foreign") from None
        raise LinkError(400, "bad") from None
    return _live_subject(site, resolve_subject(site, user_id=user_id))


def _live_subject(site, subject_id):
    subject = Subject.objects.filter(pk=subject_id, site=site).only("id", "erased_at").first()
    if subject is None:
        raise LinkError(403, "foreign")
    if subject.erased_at is not None:
        raise LinkError(410, "erased")
    return subject.pk


def subject_ref(subject_id):
    """The reference the ledger uses for this subject: its user alias, else a visitor alias."""
    aliases = dict(SubjectAlias.objects.filter(subject_id=subject_id).values_list("kind", "value"))
    ref = aliases.get(AliasKind.USER) or aliases.get(AliasKind.VISITOR)
    if ref is None:  # erased: nothing may be recorded under a new, unlinked subject
        raise LinkError(410, "erased")
    return ref


# --- what the person sees --------------------------------------------------------------------


@dataclass(frozen=True)
class VendorLabel:
    """A vendor as the centre shows it: its name in the page's language, and whether the person
    let it take part in the purpose (a per-vendor choice within a purpose)."""

    name: str
    country: str
    key: str = ""
    allowed: bool = True


@dataclass
class PurposeRow:
    purpose: Purpose
    name: str
    description: str
    state: str | None
    allowed: bool
    needs_reconsent: bool
    expired: bool
    vendors: list
    policy_version: int | None
    updated_at: datetime | None

    @property
    def key(self):
        return self.purpose.key

    @property
    def legal_basis(self):
        return self.purpose.legal_basis

    @property
    def toggleable(self):
        return not self.purpose.always_allowed

    @property
    def objected(self):
        return self.state in (Decision.DENIED, Decision.WITHDRAWN)


def purpose_rows(site, subject_id, language, now=None):
    """Every purpose of the site with the person's state, its meaning, and its vendors."""
    now = now or timezone.now()
    floors = reconsent_floors(site, now)
    regime = subject_regime(site, subject_id)
    states, vendor_states = {}, {}
    for s in ConsentState.objects.filter(subject_id=subject_id):
        if s.vendor_id is None:
            states[s.purpose_id] = s
        else:
            vendor_states[(s.purpose_id, s.vendor_id)] = s
    rows = []
    for purpose in Purpose.objects.filter(site=site).prefetch_related("vendors").order_by("position", "id"):
        state = states.get(purpose.id)
        verdict = judge(purpose, state, site=site, now=now, floors=floors, regime=regime)
        rows.append(
            PurposeRow(
                purpose=purpose,
                name=purpose.text(language, "name"),
                description=purpose.text(language, "description"),
                state=verdict.state,
                allowed=verdict.allowed,
                needs_reconsent=verdict.needs_reconsent,
                expired=verdict.expired,
                vendors=[
                    VendorLabel(
                        v.text(language),
                        v.country,
                        v.key,
                        vendor_states.get((purpose.id, v.id)) is None
                        or vendor_states[(purpose.id, v.id)].state not in (Decision.DENIED, Decision.WITHDRAWN),
                    )
                    for v in purpose.vendors.all()
                ],
                policy_version=state.policy_version if state else None,
                updated_at=state.updated_at if state else None,
            )
        )
    return rows


def open_notices(site, subject_id):
    """Policy-change notices the person has not acknowledged yet, newest first."""
    return list(
        Notification.objects.filter(site=site, subject_id=subject_id)
        .exclude(status=NotificationStatus.ACKNOWLEDGED)
        .select_related("policy_version")
        .order_by("-policy_version__version")
    )


# --- changes ---------------------------------------------------------------------------------


def _record(
    site,
    subject_id,
    decisions,
    *,
    language="",
    ip=None,
    user_agent="",
    method=Method.PREFERENCE_CENTRE,
    parental_consent=None,
    jurisdiction="",
    vendors=None,
):
    if not decisions and not vendors:
        return None
    body, _ = record_decision(
        site,
        receipt_id=uuid.uuid4(),
        decisions=decisions,
        vendors=vendors or None,
        method=method,
        ref=subject_ref(subject_id),
        subject_id=subject_id,
        policy_version=current_policy_version(site),
        language=language,
        ip=ip,
        user_agent=user_agent,
        parental_consent=parental_consent,
        jurisdiction=jurisdiction,
    )
    return body


def vendor_changes(rows, vendor_choices):
    """The per-vendor decisions ({vendor: {purpose: decision}}) that differ from what is in force,
    and errors for choices about a vendor the purpose does not use."""
    changes, errors = {}, {}
    for (purpose_key, vendor_key), value in vendor_choices.items():
        row = rows.get(purpose_key)
        vendor = next((v for v in row.vendors if v.key == vendor_key), None) if row else None
        field = f"vendor.{purpose_key}.{vendor_key}"
        if vendor is None or row.legal_basis != LegalBasis.CONSENT or not row.toggleable:
            errors[field] = ["This company cannot be chosen for this purpose."]
        elif value not in (Decision.GRANTED, Decision.DENIED):
            errors[field] = ["Choose allow or do not allow."]
        elif (value == Decision.GRANTED) != vendor.allowed:
            changes.setdefault(vendor_key, {})[purpose_key] = value
    return changes, errors


def save_choices(site, subject_id, choices, *, parental_consent=None, vendor_choices=None, **request_info):
    """Record the consent purposes whose choice differs from what is in force; return the receipt or None.

    `choices` maps purpose key to "granted" or "denied". A consent that needs renewal (expired or
    given under a superseded policy) is recorded again when the person confirms it. For a minor,
    `parental_consent` ({"given_by", "method"}) goes with grants of purposes that need it.
    `vendor_choices` maps (purpose key, vendor key) to "granted" or "denied": the companies a
    purpose's data is shared with, one by one.
    """
    rows = {row.key: row for row in purpose_rows(site, subject_id, "en")}
    vendors, errors = vendor_changes(rows, vendor_choices or {})
    decisions = {}
    for key, value in choices.items():
        row = rows.get(key)
        if row is None or row.legal_basis != LegalBasis.CONSENT or not row.toggleable:
            errors[key] = ["This purpose cannot be changed here."]
        elif value not in (Decision.GRANTED, Decision.DENIED):
            errors[key] = ["Choose allow or do not allow."]
        elif value == Decision.GRANTED and not row.allowed:
            decisions[key] = Decision.GRANTED
        elif value == Decision.DENIED and row.state not in (Decision.DENIED, Decision.WITHDRAWN):
            decisions[key] = Decision.DENIED
    if errors:
        raise ConsentError("preferences.invalid", "Some choices could not be saved.", errors)
    return _record(site, subject_id, decisions, parental_consent=parental_consent, vendors=vendors, **request_info)


def object_to(site, subject_id, purpose_key, *, objecting=True, **request_info):
    """One-click objection to (or its withdrawal for) a legitimate-interest purpose."""
    purpose = Purpose.objects.filter(site=site, key=purpose_key).first()
    if purpose is None or purpose.legal_basis != LegalBasis.LEGITIMATE_INTEREST or purpose.always_allowed:
        raise ConsentError(
            "preferences.invalid",
            "Only legitimate-interest purposes take an objection.",
            {purpose_key: ["Not a legitimate-interest purpose of this site."]},
        )
    row = next(r for r in purpose_rows(site, subject_id, "en") if r.key == purpose_key)
    if objecting == row.objected:
        return None
    return _record(site, subject_id, {purpose_key: Decision.DENIED if objecting else Decision.GRANTED}, **request_info)


def withdraw_everything(site, subject_id, **request_info):
    """Withdraw every consent and object to every legitimate-interest purpose, at once."""
    decisions = {}
    for row in purpose_rows(site, subject_id, "en"):
        if not row.toggleable:
            continue
        if row.legal_basis == LegalBasis.LEGITIMATE_INTEREST and not row.objected:
            decisions[row.key] = Decision.DENIED
        elif row.state == Decision.GRANTED:
            decisions[row.key] = Decision.WITHDRAWN
    return _record(site, subject_id, decisions, **request_info)


# --- portability -----------------------------------------------------------------------------

CSV_COLUMNS = [
    "recorded_at",
    "purpose",
    "vendor",
    "state",
    "version",
    "method",
    "policy_version",
    "banner_version",
    "language",
    "receipt_id",
    "hash",
]


def export_records(site, subject_id, *, now=None):
    """The person's own records as one JSON-ready dict (portability and access)."""
    now = now or timezone.now()
    label = subject_ref(subject_id)
    consents = subject_consents(site, subject_id, label=label, now=now)
    subject = Subject.objects.get(pk=subject_id)
    return {
        "site": {"key": site.key, "name": site.name},
        "subject": label,
        "email": subject.email or None,
        "exported_at": iso(now),
        "purposes": consents["purposes"],
        "history": consents["history"],
        "rights_requests": [
            {
                "kind": r.kind,
                "status": r.status,
                "received_at": iso(r.received_at),
                "due_at": iso(r.due_at),
                "completed_at": iso(r.completed_at),
            }
            for r in RightsRequest.objects.filter(subject_id=subject_id).order_by("received_at")
        ],
        "notifications": [
            {
                "policy_version": n.policy_version.version,
                "status": n.status,
                "queued_at": iso(n.queued_at),
                "sent_at": iso(n.sent_at),
                "acknowledged_at": iso(n.acknowledged_at),
            }
            for n in Notification.objects.filter(subject_id=subject_id).select_related("policy_version")
        ],
    }


def export_csv(subject_id):
    """The person's decision history as CSV, one row per ledger event."""
    return csv_text(CSV_COLUMNS, ([row.get(k) for k in CSV_COLUMNS] for row in subject_history(subject_id)))


def note_export(site, subject_id, fmt):
    """Downloads by the person are part of the accountability trail."""
    record_audit(
        action="preferences.exported",
        site=site,
        actor_label="subject",
        subject=Subject.objects.get(pk=subject_id),
        data={"format": fmt},
    )


def site_or_none(site_key):
    return Site.objects.filter(key=site_key).first()
