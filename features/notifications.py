"""Policy-change notices by email: delivery with retries, and acknowledgement.

Delivery runs as background work (the `send_policy_notifications` task below): each attempt
either sends the message (status `sent`), schedules a retry with a growing delay, or after
`MAX_ATTEMPTS` gives up (`failed`).
Every outcome and every acknowledgement is written to the audit trail. Nothing personal goes into
logs or audit data: the notification and subject ids are enough to find the rest.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from consent.models import ConsentEvent, Notification, NotificationStatus
from consent.services.audit import record_audit
from features.backoff import Backoff
from features.centre.preferences import LinkError, make_preference_link

MAX_ATTEMPTS = 5
ACK_SALT = "consent.notification-ack"
SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"


# Back off: 1, 5, 25, 125 minutes after the 1st, 2nd, 3rd, 4th failed attempt.
RETRIES = Backoff(first=timedelta(minutes=1), factor=5, max_attempts=MAX_ATTEMPTS)
retry_delay = RETRIES.delay


def ack_url(notification):
    token = signing.dumps({"n": notification.pk, "u": notification.subject_id}, salt=ACK_SALT)
    return settings.PUBLIC_BASE_URL + reverse("consent:acknowledge", kwargs={"token": token})


def read_ack_token(token):
    """The notification an acknowledgement link is for; LinkError when it opens nothing."""
    try:
        payload = signing.loads(token, salt=ACK_SALT)
    except signing.BadSignature:
        raise LinkError(400, "bad") from None
    if not isinstance(payload, dict) or not {"n", "u"} <= set(payload):
        raise LinkError(400, "bad")
    notification = (
        Notification.objects.select_related("site", "policy_version", "subject")
        .filter(pk=payload["n"], subject_id=payload["u"])
        .first()
    )
    if notification is None:
        raise LinkError(410, "unknown")
    if notification.subject.erased_at is not None:
        raise LinkError(410, "erased")
    return notification


def _language(notification):
    """The language the person last chose on this site (banner or centre), else the site's default."""
    site = notification.site
    latest = (
        ConsentEvent.objects.filter(subject_id=notification.subject_id)
        .exclude(language="")
        .order_by("-id")
        .values_list("language", flat=True)
        .first()
    )
    if latest and latest in (site.languages or []):
        return latest
    return site.default_language or "en"


def _message(notification):
    """The email, text and HTML, in the person's language (see `_language`)."""
    site, policy = notification.site, notification.policy_version
    language = _language(notification)
    with translation.override(language):
        context = {
            "site": site,
            "policy": policy,
            "language": language,
            "purposes": [p.text(language, "name") for p in policy.affected_purposes.all()] if policy.material else [],
            "ack_url": ack_url(notification),
            "preferences_url": make_preference_link(site, notification.subject_id)[0],
        }
        subject_line = _("%(site)s: our privacy policy changes on %(date)s") % {
            "site": site.name,
            "date": policy.effective_at.strftime("%Y-%m-%d"),
        }
        text = render_to_string("consent/email/policy_change.txt", context)
        html = render_to_string("consent/email/policy_change.html", context)
    message = EmailMultiAlternatives(
        subject_line,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [notification.subject.email],
        reply_to=_reply_to(site),
        # A notice sent by software: mail systems must not answer it automatically (RFC 3834).
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _reply_to(site):
    return [site.dpo_email] if site.dpo_email else None


def _scrub(error):
    """An error text safe to store: the exception type and message, with the address removed."""
    text = f"{type(error).__name__}: {error}"
    return text[:300]


def deliver(notification_id, *, now=None):
    """Make one delivery attempt. Returns SENT, RETRY, FAILED or SKIPPED (not queued any more)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, status=NotificationStatus.QUEUED)
            .first()
        )
        if notification is None:
            return SKIPPED
        notification = Notification.objects.select_related("site", "subject", "policy_version").get(pk=notification_id)
        notification.attempts += 1
        now = now or timezone.now()
        subject = notification.subject
        if subject.erased_at is not None or not subject.email:
            return _give_up(notification, "no email address on record", now)
        email = subject.email
        try:
            message = _message(notification)
            message.send(fail_silently=False)
        except Exception as error:  # any transport failure is retried; the reason is kept, not logged
            notification.last_error = _scrub(error).replace(email, "<recipient>")
            if RETRIES.exhausted(notification.attempts):
                return _give_up(notification, notification.last_error, now)
            notification.save(update_fields=["attempts", "last_error"])
            record_audit(
                action="notification.attempt_failed",
                site=notification.site,
                subject=subject,
                obj=notification,
                data={
                    "attempt": notification.attempts,
                    "error": notification.last_error.split(":")[0],
                    "retry_in_seconds": int(retry_delay(notification.attempts).total_seconds()),
                },
                now=now,
            )
            return RETRY
        notification.status = NotificationStatus.SENT
        notification.sent_at = now
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        record_audit(
            action="notification.sent",
            site=notification.site,
            subject=subject,
            obj=notification,
            data={"policy_version": notification.policy_version.version, "attempts": notification.attempts},
            now=now,
        )
        return SENT


def _give_up(notification, reason, now):
    notification.status = NotificationStatus.FAILED
    notification.failed_at = now
    notification.last_error = reason[:300]
    notification.save(update_fields=["attempts", "status", "failed_at", "last_error"])
    record_audit(
        action="notification.failed",
        site=notification.site,
        subject=notification.subject,
        obj=notification,
        data={"policy_version": notification.policy_version.version, "attempts": notification.attempts},
        now=now,
    )
    return FAILED


def retry_failed(notification, actor=None):
    """Put a failed notification back in the queue (staff action from the console)."""
    if notification.status != NotificationStatus.FAILED:
        return False
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.QUEUED, attempts=0)
    record_audit(action="notification.requeued", site=notification.site, actor=actor, obj=notification)
    enqueue_deliveries([notification.pk])
    return True


def acknowledge(notification, *, via, now=None):
    """The person has read the notice. Idempotent; returns True the first time."""
    now = now or timezone.now()
    updated = (
        Notification.objects.filter(pk=notification.pk)
        .exclude(status=NotificationStatus.ACKNOWLEDGED)
        .update(status=NotificationStatus.ACKNOWLEDGED, acknowledged_at=now)
    )
    if not updated:
        return False
    record_audit(
        action="notification.acknowledged",
        site=notification.site,
        actor_label="subject",
        subject=notification.subject,
        obj=notification,
        data={"policy_version": notification.policy_version.version, "via": via},
        now=now,
    )
    return True


def enqueue_deliveries(notification_ids, batch_size=200):
    """Hand the notifications to the task queue in batches."""
    ids = list(notification_ids)
    for start in range(0, len(ids), batch_size):
        send_policy_notifications.enqueue(ids[start : start + batch_size])


def schedule_retry(notification_id, attempts):
    """Retry later where the queue can defer work; a queue that runs at once retries at once."""
    if send_policy_notifications.get_backend().supports_defer:
        send_policy_notifications.using(run_after=timezone.now() + retry_delay(attempts)).enqueue([notification_id])
    else:
        send_policy_notifications.enqueue([notification_id])


@task()
def send_policy_notifications(notification_ids):
    """Deliver a batch of policy-change notices; failures are retried one by one with backoff."""
    outcomes = {}
    for notification_id in notification_ids:
        outcome = deliver(notification_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == RETRY:
            attempts = Notification.objects.filter(pk=notification_id).values_list("attempts", flat=True).first()
            schedule_retry(notification_id, attempts or 1)
    return outcomes
