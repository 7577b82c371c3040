"""Webhooks: every change is delivered to the site's back end, signed, and retried until it lands."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from consent.exceptions import ConsentError
from consent.models import DeliveryStatus, Webhook, WebhookDelivery
from consent.services.decisions import record_decision
from features.webhooks import forget_site_webhooks, sign, verify


class Receiver:
    """A real HTTP server on loopback that records what it is sent and answers with `status`."""

    def __init__(self):
        self.received = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/consent"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def local_receivers(settings):
    """The receiver listens on loopback over plain http: both allowed only by these settings."""
    settings.DEBUG = True
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def hook(site, receiver, local_receivers):
    forget_site_webhooks(site.id)
    return Webhook.objects.create(site=site, url=receiver.url)


def decide(site, decisions, **kw):
    return record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, method="api", ref="user-7", **kw)


def test_change_is_delivered_signed(site, hook, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decide(site, {"analytics": "granted", "advertising": "denied"})
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert verify(hook.secret, body, headers["Consent-Signature"])
    assert not verify("whsec_other", body, headers["Consent-Signature"])
    payload = json.loads(body)
    assert payload["type"] == "consent.changed" and payload["subject"]["user_id"] == "user-7"
    assert {c["purpose"]: c["state"] for c in payload["changes"]} == {"analytics": "granted", "advertising": "denied"}
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_failed_delivery_is_kept_and_retried(site, hook, receiver, django_capture_on_commit_callbacks):
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        decide(site, {"analytics": "granted"})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at is not None
    receiver.status = 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    call_command("deliver_webhooks")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.received) == 2
    assert json.loads(receiver.received[0][1])["receipt_id"] == json.loads(receiver.received[1][1])["receipt_id"]


def test_withdrawal_only_hook_skips_grants(site, hook, receiver, django_capture_on_commit_callbacks):
    hook.only_withdrawals = True
    hook.save()
    forget_site_webhooks(site.id)
    with django_capture_on_commit_callbacks(execute=True):
        decide(site, {"analytics": "granted"})
        decide(site, {"analytics": "denied"})
    assert [json.loads(b)["changes"][0]["state"] for _, b in receiver.received] == ["withdrawn"]


def test_rolled_back_change_is_never_announced(site, hook, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ConsentError):
        decide(site, {"analytics": "granted", "essential": "denied"})
    assert receiver.received == [] and not WebhookDelivery.objects.exists()


def test_signature_rejects_stale_timestamps():
    header = sign("s", b"{}", timestamp=1_000)
    assert verify("s", b"{}", header, now=1_100)
    assert not verify("s", b"{}", header, now=2_000)
    assert not verify("s", b"{}", "garbage")
