"""Subject references, signed tokens and emails never reach the logs, tracebacks of 500s included."""

import io
import logging

import pytest
from django.core import signing
from django.test import Client

from api import server as api_server
from consent.log_privacy import RedactPersonalData, redact
from consent.tokens import sign_subject_token
from features.centre import unsubscribe

REF = "ada.lovelace-4242"


@pytest.fixture
def log_output():
    """The configured root handler (with its filter) writing into a buffer instead of stderr."""
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactPersonalData) for f in h.filters)]
    assert handlers, "the console handler must carry the redaction filter"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


def test_a_500_under_a_subject_path_logs_neither_the_reference_nor_its_echo(site, api_key, monkeypatch, log_output):
    def crash(site, ref):
        raise RuntimeError(f"lookup failed for {ref!r} (ada@example.test)")

    monkeypatch.setattr(api_server, "find_subject", crash)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {api_key}")
    response = client.get(f"/api/v1/subjects/{REF}/consents?subject_token=abc{REF}")
    assert response.status_code == 500
    logged = log_output.getvalue()
    assert "Internal Server Error: /api/v1/subjects/[redacted]/consents" in logged
    assert "Traceback" in logged and "RuntimeError: lookup failed for" in logged
    assert REF not in logged and "ada@example.test" not in logged


def test_signed_links_are_redacted_from_failed_requests(site, monkeypatch, log_output):
    token = signing.dumps({"s": "acme", "u": 1, "p": "analytics"}, salt=unsubscribe.SALT)

    def crash(value):
        raise ValueError(f"cannot read {value}")

    monkeypatch.setattr(unsubscribe, "read_unsubscribe_token", crash)
    response = Client(raise_request_exception=False).get(f"/u/{token}/")
    assert response.status_code == 500
    logged = log_output.getvalue()
    assert "Internal Server Error: /u/[redacted]/" in logged and "ValueError" in logged
    assert token not in logged and token.split(":")[-1] not in logged


def test_redact_knows_tokens_references_and_emails(site):
    link = signing.dumps({"s": "acme", "u": 7}, salt="x")
    timed = signing.TimestampSigner(salt="y").sign_object({"u": 7})
    subject_token = sign_subject_token(site, "user-42")
    text = (
        f"GET /preferences/acme/?link={link} then /api/v1/subjects/user-42/consents?x=1 "
        f"with {timed} and {subject_token} for bob@example.org /notices/{link}/ ?q=carol"
    )
    cleaned = redact(text)
    for secret in (link, timed, subject_token, "user-42", "bob@example.org", "carol"):
        assert secret not in cleaned
    assert cleaned.startswith("GET /preferences/acme/?link=[redacted]")
    # Ordinary log lines are left as they are.
    plain = 'rollup: 12 events at 2026-11-28 04:37:50 from redis://127.0.0.1:6379/0, File "x.py", line 3'
    assert redact(plain) == plain


def test_redact_knows_the_sms_and_double_opt_in_links():
    text = "Not Found: /s/Ab3dE5fG7h and /confirm/eyJzIjoiYWNtZSJ9.opaque-token/ answered"
    cleaned = redact(text)
    assert "Ab3dE5fG7h" not in cleaned and "eyJzIjoiYWNtZSJ9.opaque-token" not in cleaned
    assert cleaned == "Not Found: /s/[redacted] and /confirm/[redacted]/ answered"
