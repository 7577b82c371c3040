"""Webhooks cannot be aimed inside the network, follow no redirects, say nothing about sockets,
and are sent by the worker after commit, never inside the request's transaction."""

import json
import socket
import ssl
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from consent import netguard
from consent.models import DeliveryStatus, Webhook, WebhookDelivery
from consent.roles import DPO
from consent.services.decisions import record_decision
from features.webhooks import deliver, deliver_webhooks, forget_site_webhooks, verify
from tests.staff import make_staff, sign_in

INSIDE = [
    "https://127.0.0.1/hook",
    "https://[::1]/hook",
    "https://localhost:5432/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/hook",
    "https://192.168.1.20/hook",
    "https://172.16.0.1/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:a9fe:a9fe]/hook",
    "https://[fe80::1]/hook",
    "https://[fd00::1]/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://[64:ff9b::a00:1]/hook",
    "https://[2002:7f00:1::]/hook",
]
PUBLIC_V4 = "93.184.215.14"


def answer(*addresses):
    """A getaddrinfo stand-in answering these addresses for any name."""

    def getaddrinfo(host, port, *args, **kwargs):
        out = []
        for a in addresses:
            family = socket.AF_INET6 if ":" in a else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, 6, "", (a, port or 443)))
        return out

    return getaddrinfo


@pytest.fixture
def no_dns(monkeypatch):
    """Any name lookup in a test is a bug: literals are checked without DNS."""

    def refuse(*args, **kwargs):
        raise AssertionError("unexpected DNS lookup")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("url", INSIDE)
def test_internal_addresses_are_refused_at_save(site, url, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", answer("127.0.0.1"))  # localhost
    with pytest.raises(ValidationError) as err:
        Webhook(site=site, url=url).full_clean()
    assert "public address" in err.value.message_dict["url"][0]


@pytest.mark.parametrize("url", INSIDE)
def test_internal_addresses_are_refused_at_send(site, url, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", answer("127.0.0.1"))
    connects = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a) or 1 / 0)
    hook = Webhook.objects.create(site=site, url=url)  # stored before the rule, or edited in the database
    delivery = WebhookDelivery.objects.create(webhook=hook, payload={"type": "consent.changed"})
    assert deliver(delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert (delivery.last_error, delivery.last_status_code, delivery.attempts) == ("address refused", None, 1)
    assert connects == []


def test_a_name_resolving_inside_is_refused_at_save_and_send(site, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", answer(PUBLIC_V4, "10.1.2.3"))
    with pytest.raises(ValidationError):
        Webhook(site=site, url="https://hooks.acme.test/x").full_clean()
    monkeypatch.setattr(socket, "getaddrinfo", answer("::1"))
    assert netguard.post("https://hooks.acme.test/x", b"{}", {}, timeout=1) == (None, "address refused")


def test_public_name_is_accepted_and_unresolvable_one_named(site, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", answer(PUBLIC_V4, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"))
    Webhook(site=site, url="https://hooks.acme.test/consent").full_clean()

    def fail(*a, **k):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(ValidationError) as err:
        Webhook(site=site, url="https://nowhere.acme.test/").full_clean()
    assert err.value.message_dict["url"] == ["The host name does not resolve."]


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://files.acme.test/hook", "Webhook URLs must use https."),
        ("http://hooks.acme.test/hook", "Webhook URLs must use https."),
        ("https://user:pw@hooks.acme.test/", "Webhook URLs must not contain a user name or password."),
        ("https://hooks.acme.test:99999/", "Enter a valid URL."),
    ],
)
def test_scheme_and_shape_are_refused(site, url, message, no_dns):
    with pytest.raises(ValidationError) as err:
        Webhook(site=site, url=url).full_clean()
    assert message in err.value.message_dict["url"]


def test_http_is_allowed_only_in_debug_and_private_only_with_the_setting(site, settings, no_dns):
    settings.DEBUG = True
    with pytest.raises(ValidationError):  # DEBUG alone does not open private networks
        Webhook(site=site, url="http://127.0.0.1:8401/hook").full_clean()
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    Webhook(site=site, url="http://127.0.0.1:8401/hook").full_clean()
    settings.DEBUG = False
    with pytest.raises(ValidationError):
        Webhook(site=site, url="http://127.0.0.1:8401/hook").full_clean()


def test_console_form_names_the_problem(site, no_dns):
    user, device = make_staff("dpo", DPO)
    client = sign_in(Client(), user, device)
    page = client.post(
        "/admin/consent/webhook/add/", {"site": site.pk, "url": "https://169.254.169.254/", "active": "on"}
    )
    assert page.status_code == 200 and "must point to a public address" in page.content.decode()
    assert not Webhook.objects.exists()


# --- real local servers -------------------------------------------------------------------------


class Server:
    """A real HTTP server on loopback answering POSTs with `status` (and `location`) after `delay`."""

    def __init__(self, status=200, location=None, delay=0.0):
        self.received, self.status, self.location, self.delay = [], status, location, delay
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if server.delay:
                    time.sleep(server.delay)  # the slow endpoint under test, not a wait in the test
                server.received.append((self.path, dict(self.headers), body))
                self.send_response(server.status)
                if server.location:
                    self.send_header("Location", server.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local(settings):
    settings.DEBUG = True
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    servers = []

    def start(**kw):
        servers.append(Server(**kw))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def test_redirects_are_not_followed(site, local):
    target = local()
    redirector = local(status=302, location=f"{target.url}/stolen")
    hook = Webhook.objects.create(site=site, url=f"{redirector.url}/hook")
    delivery = WebhookDelivery.objects.create(webhook=hook, payload={"type": "consent.changed"})
    assert deliver(delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert (delivery.last_status_code, delivery.last_error) == (302, "redirect refused")
    assert len(redirector.received) == 1 and target.received == []


def test_failure_reasons_are_generic(site, local):
    server = local()
    closed_port = server.httpd.server_address[1]
    server.close()
    hook = Webhook.objects.create(site=site, url=f"http://127.0.0.1:{closed_port}/hook")
    delivery = WebhookDelivery.objects.create(webhook=hook, payload={"type": "consent.changed"})
    deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.last_status_code, delivery.last_error) == (None, "connection failed")


def test_connects_to_the_checked_address_with_the_name_in_the_host_header(site, local, monkeypatch):
    server = local()
    port = server.httpd.server_address[1]
    lookups = []

    def getaddrinfo(host, *args, **kwargs):
        lookups.append(host)
        return answer("127.0.0.1")(host, port)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    code, error = netguard.post(f"http://hooks.acme.test:{port}/in?x=1", b"{}", {}, timeout=2)
    assert (code, error) == (200, "")
    path, headers, _ = server.received[0]
    assert path == "/in?x=1" and headers["Host"] == f"hooks.acme.test:{port}"
    # The name is resolved once; the connection goes to the checked address (a numeric look-up).
    assert lookups == ["hooks.acme.test", "127.0.0.1"]


@pytest.mark.django_db(transaction=True)
def test_decision_returns_while_the_endpoint_is_slow_and_the_worker_delivers(site, local, settings):
    slow = local(delay=3.0)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    hook = Webhook.objects.create(site=site, url=f"{slow.url}/hook")
    forget_site_webhooks(site.id)
    started = time.monotonic()
    response = Client().post(
        f"/api/v1/sites/{site.key}/decisions",
        data=json.dumps(
            {
                "id": str(uuid.uuid4()),
                "visitor_id": "v-slow-1",
                "decisions": {"analytics": "granted"},
                "method": "custom",
            }
        ),
        content_type="application/json",
        HTTP_ORIGIN="https://www.acme.test",
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert elapsed < 2.0, elapsed
    assert slow.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    queued = DBTaskResult.objects.get()
    assert queued.task_path == deliver_webhooks.module_path and queued.args_kwargs["args"] == [[delivery.pk]]
    call_command("db_worker", "--batch", "--no-startup-delay")  # the worker's turn
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    _, headers, body = slow.received[0]
    assert verify(hook.secret, body, headers["Consent-Signature"])
    assert json.loads(body)["changes"][0]["purpose"] == "analytics"


def test_record_decision_makes_no_request_before_commit(site, local, django_capture_on_commit_callbacks):
    server = local()
    Webhook.objects.create(site=site, url=f"{server.url}/hook")
    forget_site_webhooks(site.id)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_decision(site, receipt_id=uuid.uuid4(), decisions={"analytics": "granted"}, method="api", ref="u-1")
    assert server.received == [] and len(callbacks) == 1
    for callback in callbacks:
        callback()
    assert len(server.received) == 1


def _certificate(tmp_path, name):
    """A self-signed certificate for `name` (files for the server, PEM text for the client)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tmp_path / "cert.pem", tmp_path / "key.pem", cert_pem.decode()


def test_https_goes_to_the_checked_address_and_verifies_the_host_name(tmp_path, local, monkeypatch):
    server = local()
    cert_file, key_file, cert_pem = _certificate(tmp_path, "hooks.acme.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    names = []

    def sni(sock, name, context):
        names.append(name)

    tls.sni_callback = sni
    server.httpd.socket = tls.wrap_socket(server.httpd.socket, server_side=True)
    port = server.httpd.server_address[1]
    monkeypatch.setattr(socket, "getaddrinfo", answer("127.0.0.1"))
    trust = ssl.create_default_context(cadata=cert_pem)

    ok = netguard.post(f"https://hooks.acme.test:{port}/hook", b"{}", {}, timeout=2, context=trust)
    assert ok == (200, "") and names == ["hooks.acme.test"]
    assert server.received[0][1]["Host"] == f"hooks.acme.test:{port}"
    # Same address, another name: the certificate does not match it, so nothing is sent.
    other = netguard.post(f"https://other.acme.test:{port}/hook", b"{}", {}, timeout=2, context=trust)
    assert other == (None, "connection failed") and len(server.received) == 1
