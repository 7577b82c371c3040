"""Signed webhooks: the site's back end is told of every consent change.

Deliveries are rows written in the same transaction as the events, so a change is never
announced if it rolled back and never lost if the receiver is down: delivery runs as
background work after commit (`transaction.on_commit`, run by the task worker) and is retried
with backoff until it succeeds or gives up. No request is made inside a database transaction,
and only public https endpoints are reached (`consent.netguard`): no redirects, short timeouts,
generic failure reasons.

Each request carries `Consent-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
receivers recompute it with the webhook's secret, compare in constant time and reject old times.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django_tasks import task

from consent import netguard
from consent.ledger import canonical_time
from consent.models import AliasKind, Decision, DeliveryStatus, SubjectAlias, Webhook, WebhookDelivery
from consent.process_caches import caches
from features.backoff import Backoff

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 5
# How long an attempt keeps its delivery from other workers; longer than any one request.
LEASE = timedelta(minutes=2)
REFUSALS = (Decision.DENIED, Decision.WITHDRAWN, Decision.EXPIRED)
_CACHE_SECONDS = 5


def sign(secret, body, timestamp=None):
    timestamp = int(timestamp if timestamp is not None else time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret, body, header, *, tolerance=300, now=None):
    """What a receiver does; used by our tests and shown in docs/api.md."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(int(now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


def _active_webhooks(site_id):
    key = f"consent:webhooks:{site_id}"
    hooks = cache.get(key)
    if hooks is None:
        hooks = list(Webhook.objects.filter(site_id=site_id, active=True).values("id", "only_withdrawals"))
        cache.set(key, hooks, _CACHE_SECONDS)
    return hooks


# Whether a site has webhooks, per process, for a second: every decision asks (see
# `wants_changes`), and the shared cache is a network round trip away when it is Redis. A
# webhook created in another process is thus announced to within a second of its creation.
_has_webhooks = {}
_MEMO_SECONDS = 1.0


def has_webhooks(site_id):
    """True if changes on this site are announced to at least one endpoint (cached briefly)."""
    now = time.monotonic()
    memo = _has_webhooks.get(site_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    has = bool(_active_webhooks(site_id))
    _has_webhooks[site_id] = (now + _MEMO_SECONDS, has)
    return has


def forget_site_webhooks(site_id):
    _has_webhooks.pop(site_id, None)
    cache.delete(f"consent:webhooks:{site_id}")


caches.register("webhooks.has_webhooks", _has_webhooks.clear)


def queue_changes(site, subject_id, events):
    """Write one delivery per webhook for these events (call inside the recording transaction)."""
    if not events:
        return []
    hooks = _active_webhooks(site.id)
    if not hooks:
        return []
    refs = dict(SubjectAlias.objects.filter(subject_id=subject_id).order_by("created_at").values_list("kind", "value"))
    changes = [
        {
            "purpose": e.purpose.key,
            "vendor": e.vendor.key if e.vendor_id else None,
            "state": e.decision,
            "version": e.version,
            "method": e.method,
            "recorded_at": canonical_time(e.recorded_at).replace("+00:00", "Z"),
            "policy_version": e.policy_version,
            "event_hash": e.hash,
        }
        for e in events
    ]
    payload = {
        "type": "consent.changed",
        "site": site.key,
        "subject": {"user_id": refs.get(AliasKind.USER), "visitor_id": refs.get(AliasKind.VISITOR)},
        "receipt_id": str(events[0].receipt_id) if events[0].receipt_id else None,
        "changes": changes,
    }
    deliveries = []
    for hook in hooks:
        if hook["only_withdrawals"] and not any(c["state"] in REFUSALS for c in changes):
            continue
        deliveries.append(WebhookDelivery(webhook_id=hook["id"], payload=payload))
    WebhookDelivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


def on_consent_recorded(sender, *, site, subject_id, events, **kwargs):
    """Receiver of `consent.signals.consent_recorded` (connected in `ConsentConfig.ready`)."""
    queue_changes(site, subject_id, events)


def wants_changes(site):
    """The sites whose changes `on_consent_recorded` wants: those with an active webhook."""
    return has_webhooks(site.id)


def _enqueue(ids, run_after=None):
    task = deliver_webhooks
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(ids)


# 30 s, 2 min, 8 min ... up to about 22 hours over MAX_ATTEMPTS attempts.
RETRIES = Backoff(first=timedelta(seconds=30), factor=4, max_attempts=MAX_ATTEMPTS)
retry_delay = RETRIES.delay


def _claim(delivery_id, now):
    """Take one due delivery for this attempt: counted and leased in a short transaction.

    The lease (`next_attempt_at` moved past the request's time limit) keeps other workers and
    `deliver_due` off it while the request runs outside any transaction.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def deliver(delivery_id, *, now=None):
    """POST one delivery (never inside a database transaction). Returns its status after the attempt."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    body = json.dumps({**delivery.payload, "delivery_id": delivery.pk}, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "consent-platform-webhooks/1",
        "Consent-Event": delivery.payload.get("type", "consent.changed"),
        "Consent-Delivery": str(delivery.pk),
        "Consent-Signature": sign(delivery.webhook.secret, body),
    }
    code, error = netguard.post(delivery.webhook.url, body, headers, timeout=TIMEOUT_SECONDS)
    delivery.last_status_code, delivery.last_error = code, error[:300]
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif RETRIES.exhausted(delivery.attempts):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"])
    if delivery.status == DeliveryStatus.PENDING and _deferrable():
        _enqueue([delivery.pk], run_after=delivery.next_attempt_at)
    return delivery.status


def _deferrable():
    return deliver_webhooks.get_backend().supports_defer


@task()
def deliver_webhooks(delivery_ids):
    """POST consent changes to the site's webhooks; each failure reschedules itself with backoff."""
    return {str(pk): deliver(pk) for pk in delivery_ids}


def deliver_due(now=None):
    """Attempt every pending delivery whose retry time has come (`manage.py deliver_webhooks`)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    return {pk: deliver(pk, now=now) for pk in due.values_list("pk", flat=True)}


def _forget_on_change(sender, instance, **kwargs):
    forget_site_webhooks(instance.site_id)


post_save.connect(_forget_on_change, sender=Webhook, dispatch_uid="webhooks-forget-on-save")
post_delete.connect(_forget_on_change, sender=Webhook, dispatch_uid="webhooks-forget-on-delete")
