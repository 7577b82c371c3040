"""The audit trail of staff and system actions."""

from django.utils import timezone

from consent.models import AuditEvent


def record_audit(*, action, site=None, actor=None, actor_label=None, subject=None, obj=None, data=None, now=None):
    """Append one entry to the audit trail."""
    label = actor_label or (actor.get_username() if actor is not None else "system")
    return AuditEvent.objects.create(
        site=site,
        actor=actor,
        actor_label=label[:150],
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        subject=subject,
        data=data or {},
        created_at=now or timezone.now(),
    )
