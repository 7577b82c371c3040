"""Policy versions: drafts that DPOs edit and preview, and publication, which is final.

Publishing assigns the next version number of the site, fixes the effective date (a material
change takes effect no sooner than the site's notice period after publishing), writes the audit
trail and queues one notification per affected subject who has an email. From the effective date
`consent.policy_in_force.reconsent_floors` makes consents given under older versions of the affected
purposes count as needing renewal; nothing here rewrites the ledger.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from consent.exceptions import Conflict, ConsentError
from consent.models import (
    ConsentState,
    Notification,
    NotificationChannel,
    PolicyKind,
    PolicyVersion,
    Purpose,
    Site,
    Subject,
)
from consent.services.audit import record_audit

EDITABLE = ("kind", "url", "text", "change_summary", "material")


def _check_published(policy):
    if policy.is_published:
        raise Conflict(
            "policy.published",
            f"Version {policy.version} is published and cannot be changed; draft a new version instead.",
            {"policy": ["Published policy versions are immutable."]},
        )


def _set_purposes(policy, affected_purposes):
    keys = list(affected_purposes)
    purposes = list(Purpose.objects.filter(site=policy.site, key__in=keys))
    unknown = sorted(set(keys) - {p.key for p in purposes})
    if unknown:
        raise ConsentError(
            "policy.unknown_purpose",
            "Some affected purposes do not exist on this site.",
            {"affected_purposes": [f"Unknown purpose {k!r}." for k in unknown]},
        )
    policy.affected_purposes.set(purposes)


def create_draft(site, *, kind=PolicyKind.PRIVACY, actor=None, affected_purposes=(), **fields):
    """A new, unpublished policy version (no number yet)."""
    if kind not in PolicyKind.values:
        raise ConsentError(
            "policy.invalid", "Unknown policy kind.", {"kind": [f"Expected one of {PolicyKind.values}."]}
        )
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ConsentError("policy.invalid", "Unknown fields.", {k: ["Not a policy field."] for k in sorted(unknown)})
    with transaction.atomic():
        policy = PolicyVersion.objects.create(site=site, kind=kind, created_by=actor, **fields)
        _set_purposes(policy, affected_purposes)
        record_audit(action="policy.drafted", site=site, actor=actor, obj=policy, data={"kind": kind})
    return policy


def update_draft(policy, *, actor=None, affected_purposes=None, **fields):
    """Change a draft. A published version is refused here and, underneath, by a database trigger."""
    _check_published(policy)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ConsentError("policy.invalid", "Unknown fields.", {k: ["Not a policy field."] for k in sorted(unknown)})
    with transaction.atomic():
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.save()
        if affected_purposes is not None:
            _set_purposes(policy, affected_purposes)
        record_audit(action="policy.edited", site=policy.site, actor=actor, obj=policy, data={"fields": sorted(fields)})
    return policy


def earliest_effective_at(policy, published_at):
    if policy.material:
        return published_at + timedelta(days=policy.site.notice_period_days)
    return published_at


def publish_policy(policy, actor=None, *, effective_at=None, now=None):
    """Publish a draft: number it, date it, audit it and queue the change notifications.

    Returns the list of queued notification ids (their delivery is enqueued as background work).
    """
    now = now or timezone.now()
    _check_published(policy)
    floor = earliest_effective_at(policy, now)
    effective_at = effective_at or floor
    if effective_at < floor:
        days = policy.site.notice_period_days
        reason = (
            f"A material change takes effect at least {days} days after publishing (not before {floor:%Y-%m-%d})."
            if policy.material
            else "The effective date cannot be in the past."
        )
        raise ConsentError("policy.notice_period", reason, {"effective_at": [reason]})
    affected = list(policy.affected_purposes.all())
    if policy.material and not affected:
        raise ConsentError(
            "policy.invalid",
            "A material change must name the purposes it affects.",
            {"affected_purposes": ["Name at least one purpose that this change re-asks."]},
        )
    if not (policy.text or policy.url):
        raise ConsentError("policy.invalid", "A policy needs a text or a URL.", {"text": ["Give a text or a URL."]})
    with transaction.atomic():
        Site.objects.select_for_update().filter(pk=policy.site_id).first()
        current = PolicyVersion.objects.filter(site_id=policy.site_id).aggregate(top=Max("version"))["top"] or 0
        policy.version = current + 1
        policy.published_at = now
        policy.effective_at = effective_at
        policy.save(update_fields=["version", "published_at", "effective_at"])
        ids = queue_notifications(policy, affected)
        record_audit(
            action="policy.published",
            site=policy.site,
            actor=actor,
            obj=policy,
            data={
                "version": policy.version,
                "kind": policy.kind,
                "material": policy.material,
                "affected_purposes": sorted(p.key for p in affected),
                "effective_at": effective_at.isoformat(),
                "notifications": len(ids),
            },
            now=now,
        )
    from features.notifications import enqueue_deliveries

    enqueue_deliveries(ids)
    return ids


def recipients(policy, affected):
    """Who is told: for a material change, those with a recorded state on an affected purpose;
    for any other (service or legal) notice, everyone of the site; only people with an email."""
    subjects = Subject.objects.filter(site_id=policy.site_id, erased_at__isnull=True).exclude(email="")
    if policy.material:
        concerned = ConsentState.objects.filter(purpose__in=affected).values("subject_id")
        subjects = subjects.filter(pk__in=concerned)
    return subjects.values_list("pk", flat=True)


def queue_notifications(policy, affected):
    """One queued email notification per recipient; returns their ids."""
    rows = [
        Notification(site_id=policy.site_id, subject_id=subject_id, policy_version=policy)
        for subject_id in recipients(policy, affected).iterator(chunk_size=2000)
    ]
    Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return list(
        Notification.objects.filter(policy_version=policy, channel=NotificationChannel.EMAIL).values_list(
            "pk", flat=True
        )
    )


def preview(policy):
    """What publishing now would do, for the console's preview page."""
    affected = list(policy.affected_purposes.all())
    now = timezone.now()
    return {
        "effective_at_earliest": earliest_effective_at(policy, now),
        "recipients": recipients(policy, affected).count(),
        "affected_purposes": [p.key for p in affected],
    }
