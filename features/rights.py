"""Data-subject rights requests (GDPR Art. 15-21) and erasure.

A request is due one month after receipt; a DPO may extend it, with a reason, to three months in
total (Art. 12(3)). A site whose policy promises days instead ("within 30 days", "60 days when
complex") sets `rights_deadline_days` and `rights_complex_deadline_days`: the due date and the
limit of an extension then follow those days (`due_date`, `extension_limit`).
Completing an erasure request erases the subject: aliases, email and birth
year go, receipts lose the reference, consents still granted are closed with `erasure` events;
the ledger events themselves stay, pseudonymous (see docs/preference-centre.md). The admin
console and the API call these functions; the preference centre opens requests.
"""

import calendar
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from consent.exceptions import Conflict, ConsentError
from consent.models import (
    ConsentState,
    Decision,
    DecisionReceipt,
    LegalBasis,
    Method,
    PendingSubscription,
    RightsRequest,
    RightsRequestKind,
    RightsRequestStatus,
    Subject,
    SubjectAlias,
)
from consent.services.audit import record_audit
from consent.services.decisions import record_system_decisions
from features import ccpa

MAX_TOTAL_MONTHS = 3
MAX_DETAILS = 2000
CLOSED = (RightsRequestStatus.COMPLETED, RightsRequestStatus.REJECTED)


def add_months(value, months):
    """The same day `months` later, or the last day of that month when it is shorter."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def due_date(site, received_at):
    """When a request received at `received_at` must be answered, by the site's rule."""
    if site.rights_deadline_days:
        return received_at + timedelta(days=site.rights_deadline_days)
    return add_months(received_at, 1)


def extension_limit(site, received_at):
    """The latest a complex request may be answered: the site's days, else three months."""
    if site.rights_complex_deadline_days:
        return received_at + timedelta(days=site.rights_complex_deadline_days)
    return add_months(received_at, MAX_TOTAL_MONTHS)


def deadline_rule(site):
    """The site's deadline in words (for the centre and the console): what the policy promises."""
    first = f"{site.rights_deadline_days} days" if site.rights_deadline_days else "one month"
    longest = f"{site.rights_complex_deadline_days} days" if site.rights_complex_deadline_days else "three months"
    return first, longest


def open_rights_request(site, subject_id, kind, *, details="", via="preference_centre", now=None):
    """Record a request; due by the site's rule (one month unless the site promises days; CCPA kinds: features.ccpa)."""
    errors = {}
    if kind not in RightsRequestKind.values:
        errors["kind"] = [f"Expected one of: {', '.join(RightsRequestKind.values)}."]
    if not isinstance(details, str) or len(details) > MAX_DETAILS:
        errors["details"] = [f"At most {MAX_DETAILS} characters."]
    if errors:
        raise ConsentError("rights.invalid", "The request could not be recorded.", errors)
    now = now or timezone.now()
    subject = Subject.objects.get(pk=subject_id, site=site)
    if subject.erased_at is not None:
        raise ConsentError("rights.erased", "This person's data has been erased.", {"subject": ["Erased."]}, 410)
    with transaction.atomic():
        request = RightsRequest.objects.create(
            site=site,
            subject=subject,
            kind=kind,
            details=details.strip(),
            received_at=now,
            due_at=ccpa.first_due(kind, now) or due_date(site, now),
        )
        record_audit(
            action="rights.opened",
            site=site,
            actor_label="subject" if via == "preference_centre" else via,
            subject=subject,
            obj=request,
            data={"kind": kind, "via": via, "due_at": request.due_at.isoformat()},
            now=now,
        )
    return request


def _check_open(request):
    if request.status in CLOSED:
        raise Conflict(
            "rights.closed", f"This request is already {request.status}.", {"status": [f"Request is {request.status}."]}
        )


def extend_rights_request(request, reason, actor=None, *, months=2, now=None):
    """Extend the due date by `months` (with a reason), never beyond three months after receipt.

    On a site with a day rule for complex requests, an extension moves the due date straight to
    that limit (e.g. 60 days after receipt) and `months` is not used.
    """
    _check_open(request)
    if not isinstance(reason, str) or not reason.strip():
        raise ConsentError(
            "rights.invalid", "An extension needs a reason.", {"reason": ["Say why (Art. 12(3) requires it)."]}
        )
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        raise ConsentError("rights.invalid", "Extend by a whole number of months.", {"months": ["At least 1."]})
    site = request.site
    ccpa_rule = ccpa.extension(request)
    if ccpa_rule:
        limit, new_due, longest = ccpa_rule
    else:
        limit = extension_limit(site, request.received_at)
        longest = deadline_rule(site)[1]
        new_due = limit if site.rights_complex_deadline_days else add_months(request.due_at, months)
    if new_due > limit or request.due_at >= limit:
        if request.due_at >= limit:
            message = f"This request was already extended to the maximum of {longest}."
        else:
            message = f"The due date may not go past {longest} after receipt ({limit:%Y-%m-%d})."
        raise ConsentError("rights.extension_limit", message, {"months": [message]})
    previous = request.due_at
    with transaction.atomic():
        request.due_at = new_due
        request.status = RightsRequestStatus.EXTENDED
        note = reason.strip()
        request.extension_reason = f"{request.extension_reason}\n{note}".strip() if request.extension_reason else note
        request.save(update_fields=["due_at", "status", "extension_reason"])
        record_audit(
            action="rights.extended",
            site=request.site,
            actor=actor,
            subject=request.subject,
            obj=request,
            data={"from": previous.isoformat(), "to": new_due.isoformat(), "months": months, "rule": longest},
            now=now,
        )
    return request


def complete_rights_request(request, actor=None, resolution="", *, now=None):
    """Close a request as done; an erasure request erases the subject at the same time."""
    _check_open(request)
    now = now or timezone.now()
    with transaction.atomic():
        if request.kind in ccpa.ERASING_KINDS:
            erase_subject(request.subject, actor=actor, request=request, now=now)
        request.status = RightsRequestStatus.COMPLETED
        request.completed_at = now
        request.completed_by = actor
        request.resolution = resolution or ""
        request.save(update_fields=["status", "completed_at", "completed_by", "resolution"])
        record_audit(
            action="rights.completed",
            site=request.site,
            actor=actor,
            subject=request.subject,
            obj=request,
            data={"kind": request.kind, "on_time": now <= request.due_at},
            now=now,
        )
    return request


def reject_rights_request(request, actor=None, reason="", *, now=None):
    """Close a request without acting on it (e.g. identity not confirmed); the reason is kept."""
    _check_open(request)
    if not isinstance(reason, str) or not reason.strip():
        raise ConsentError("rights.invalid", "A refusal needs a reason.", {"reason": ["Say why."]})
    now = now or timezone.now()
    with transaction.atomic():
        request.status = RightsRequestStatus.REJECTED
        request.completed_at = now
        request.completed_by = actor
        request.resolution = reason.strip()
        request.save(update_fields=["status", "completed_at", "completed_by", "resolution"])
        record_audit(
            action="rights.rejected", site=request.site, actor=actor, subject=request.subject, obj=request, now=now
        )
    return request


def erase_subject(subject, *, actor=None, request=None, now=None):
    """Remove what identifies the person; keep the pseudonymous proof of what was consented."""
    now = now or timezone.now()
    if subject.erased_at is not None:
        return subject
    with transaction.atomic():
        site = subject.site
        open_items = [
            (s.purpose, s.vendor, Decision.WITHDRAWN)
            for s in ConsentState.objects.filter(subject=subject, state=Decision.GRANTED).select_related(
                "purpose", "vendor"
            )
            if s.purpose.legal_basis == LegalBasis.CONSENT and not s.purpose.always_allowed
        ]
        if open_items:
            record_system_decisions(site, subject.pk, open_items, method=Method.ERASURE, now=now)
        aliases = SubjectAlias.objects.filter(subject=subject).delete()[0]
        for receipt in DecisionReceipt.objects.filter(subject=subject):
            receipt.body = {**receipt.body, "subject": None}
            receipt.save(update_fields=["body"])
        RightsRequest.objects.filter(subject=subject).exclude(details="").update(details="")
        PendingSubscription.objects.filter(subject=subject).update(email="", message="")
        Subject.objects.filter(pk=subject.pk).update(email="", birth_year=None, erased_at=now)
        subject.refresh_from_db()
        record_audit(
            action="subject.erased",
            site=site,
            actor=actor,
            subject=subject,
            obj=request,
            data={
                "aliases_removed": aliases,
                "consents_closed": len(open_items),
                "events_kept": subject.last_seq + 0,
            },
            now=now,
        )
    return subject
