"""The ledger announces what it recorded (`consent.signals.consent_recorded`), on every write
path and inside the recording transaction; webhooks listen to it and the ledger calls none."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection

from consent.models import ConsentEvent, Site, Subject, Webhook, WebhookDelivery
from consent.services.decisions import record_decision
from consent.signals import consent_recorded
from features.webhooks import forget_site_webhooks

PATHS = [pytest.param(True, id="fast-paths"), pytest.param(False, id="general-path")]


@pytest.fixture
def heard():
    """What a receiver is sent, and whether a transaction was open when it was."""
    calls = []

    def receiver(sender, *, site, subject_id, events, **kwargs):
        calls.append((site.pk, subject_id, [(e.seq, e.purpose.key, e.decision, e.hash) for e in events]))
        calls.append(connection.in_atomic_block)

    consent_recorded.connect(receiver, dispatch_uid="test-heard")
    yield calls
    consent_recorded.disconnect(dispatch_uid="test-heard")


def decide(site, decisions, **who):
    return record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, method="custom", **who)


NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fast", PATHS)
def test_each_recorded_request_is_announced_once_inside_its_transaction(site, settings, heard, fast):
    settings.LEDGER_FAST_PATHS = fast
    decide(site, {"analytics": "granted", "advertising": "denied"}, visitor_id="v-1")  # a first decision
    decide(site, {"analytics": "denied"}, visitor_id="v-1")  # a known subject
    subject_id = Subject.objects.get().pk
    stored = list(ConsentEvent.objects.order_by("seq").values_list("seq", "purpose__key", "decision", "hash"))
    assert heard == [(site.pk, subject_id, stored[:2]), True, (site.pk, subject_id, stored[2:]), True]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fast", PATHS)
def test_a_failing_listener_rolls_the_decision_back(site, settings, fast):
    settings.LEDGER_FAST_PATHS = fast

    def refuse(sender, **kwargs):
        raise IntegrityError("the outbox refused the row")

    consent_recorded.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(IntegrityError, match="outbox refused"):
            decide(site, {"analytics": "granted"}, visitor_id="v-2")
    finally:
        consent_recorded.disconnect(dispatch_uid="test-refuse")
    assert not ConsentEvent.objects.exists() and not Subject.objects.exists()


@pytest.fixture
def forget_webhooks(site):
    """The per-process webhook cache must not outlive this test's rolled-back rows."""
    forget_site_webhooks(site.id)
    yield
    forget_site_webhooks(site.id)


@pytest.mark.django_db
def test_webhook_deliveries_are_the_same_from_either_path(site, settings, forget_webhooks):
    Webhook.objects.create(site=site, url="https://hooks.acme.test/consent")
    payloads = []
    for fast, visitor in ((True, "v-fast"), (False, "v-slow")):
        settings.LEDGER_FAST_PATHS = fast
        decide(site, {"analytics": "granted", "surveys": "denied"}, visitor_id=visitor, now=NOW)
        [delivery] = WebhookDelivery.objects.order_by("-id")[:1]
        payload = dict(delivery.payload)
        assert payload.pop("subject") == {"user_id": None, "visitor_id": visitor}
        assert uuid.UUID(payload.pop("receipt_id"))
        payloads.append([{k: v for k, v in c.items() if k != "event_hash"} for c in payload.pop("changes")])
        assert payload == {"type": "consent.changed", "site": "acme"}
    assert payloads[0] == payloads[1] and [c["purpose"] for c in payloads[0]] == ["analytics", "surveys"]
    assert payloads[0][0]["recorded_at"] == "2026-04-01T12:00:00.000000Z"
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("fast", PATHS)
def test_a_site_nobody_wants_is_not_announced(site, settings, fast):
    """Receivers say which sites they want; the first-decision statement then needs no transaction."""
    settings.LEDGER_FAST_PATHS = fast
    calls = []
    other = Site.objects.create(key="other", name="Other")

    def receiver(sender, *, site, **kwargs):
        calls.append(site.key)

    consent_recorded.connect(receiver, wants=lambda s: s.key == "other", dispatch_uid="test-other")
    try:
        assert not consent_recorded.wanted(site) and consent_recorded.wanted(other)
        decide(site, {"analytics": "granted"}, visitor_id="v-3")
        decide(site, {"analytics": "denied"}, visitor_id="v-3")
    finally:
        consent_recorded.disconnect(dispatch_uid="test-other")
    assert calls == [] and ConsentEvent.objects.count() == 2
    assert not consent_recorded.wanted(other)  # disconnected, its wish goes with it
