"""Junk at every endpoint: whatever arrives, the answer is a 4xx envelope or a success, never a 500.

The test client re-raises any exception a view lets escape, so a crash fails the test loudly.
"""

import json
import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cookies.services import publish_banner

TEXTS = {"en": {k: k for k in ("title", "body", "accept_all", "reject_all", "choose", "save", "close")}}

JUNK = [
    None,
    True,
    0,
    -1,
    1.5,
    10**30,
    "",
    " ",
    "x" * 15_000,
    "é😀\u202eمرحبا",
    "\x00",
    "\ud800",
    "\x1b[31m",
    "'; DROP TABLE consent_consentevent; --",
    [],
    [1, "a", None],
    {},
    {"a": {"b": [None]}},
    {"\x00": "granted"},
    {"\ud83d": "granted"},
]

DECISION = {
    "id": None,
    "visitor_id": "v-1",
    "decisions": {"analytics": "granted"},
    "vendors": {"partner_ads": "denied"},
    "method": "custom",
    "banner_version": 1,
    "policy_version": 1,
    "language": "en",
    "jurisdiction": "FR",
}
RAW_BODIES = [
    "",
    "null",
    "[]",
    "[{}]",
    '"a string"',
    "42",
    "{",
    '{"id": NaN}',
    '{"id": Infinity}',
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    '{"decisions": {"analytics": "granted"}, "decisions": []}',
    "\xff\xfe garbage",
    json.dumps({"visitor_id": "v", "id": str(uuid.uuid4()), "decisions": {"analytics": "\ud800"}}),
    '{"id": 1' + "0" * 5000 + "}",
]


@pytest.fixture
def client(site, api_key):
    cache.clear()
    publish_banner(site, TEXTS)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


def assert_clean(response):
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        assert isinstance(error["fields"], dict)


def variants(base):
    """The base body with each field in turn replaced by each junk value, or removed."""
    for key in base:
        for junk in JUNK:
            yield {**base, key: junk, **({} if key == "id" else {"id": str(uuid.uuid4())})}
        yield {k: v for k, v in base.items() if k != key}
    for junk in JUNK:
        yield junk


POSTS = [
    ("/api/v1/sites/acme/decisions", DECISION),
    ("/api/v1/subjects/user-1/decisions", {k: v for k, v in DECISION.items() if k != "visitor_id"} | {"method": "api"}),
    ("/api/v1/consents/check", {"purpose": "analytics", "subjects": ["user-1", "v-1"], "vendor": "partner_ads"}),
]


@pytest.mark.parametrize("url, base", POSTS, ids=["banner-decisions", "subject-decisions", "check"])
def test_junk_json_fields_never_crash(client, url, base):
    for body in variants(base):
        raw = json.dumps(body)  # ASCII escapes, so lone surrogates and NUL reach the server as JSON does
        assert_clean(client.post(url, raw, content_type="application/json"))


@pytest.mark.parametrize("url", [url for url, _ in POSTS])
def test_junk_raw_bodies_never_crash(client, url):
    for raw in RAW_BODIES:
        assert_clean(client.post(url, raw.encode("utf-8", "surrogatepass"), content_type="application/json"))
    for content_type in ("text/plain", "application/xml", "multipart/form-data; boundary=x", ""):
        assert_clean(client.generic("POST", url, b"{}", content_type=content_type))


JUNK_PATHS = ["%00", "%ff%fe", "😀", "a" * 400, "..%2f..%2fetc", "%E2%80%AE", "user 1"]


def test_junk_paths_and_queries_never_crash(client):
    for part in JUNK_PATHS:
        for url in (
            f"/api/v1/sites/{part}/config",
            f"/api/v1/sites/{part}/decisions",
            f"/api/v1/subjects/{part}/consents",
            f"/api/v1/subjects/{part}/decisions",
        ):
            assert_clean(client.get(url))
            assert_clean(client.post(url, {"id": str(uuid.uuid4())}, format="json"))
        for name in ("subject", "purpose", "kind", "since", "until", "cursor", "limit", "format", "site"):
            assert_clean(client.get(f"/api/v1/audit?{name}={part}"))
        assert_clean(client.get(f"/api/v1/sites/acme/config?lang={part}"))
    for method in ("put", "patch", "delete"):
        for url in ("/api/v1/sites/acme/decisions", "/api/v1/audit", "/api/v1/consents/check"):
            response = getattr(client, method)(url)
            assert response.status_code == 405
            assert_clean(response)
    assert_clean(client.get("/api/v1/no/such/endpoint"))
    assert client.get("/api/v1/no/such/endpoint").json()["error"]["code"] == "not_found"


def test_junk_headers_never_crash(client):
    url = "/api/v1/sites/acme/decisions"
    body = {**DECISION, "id": str(uuid.uuid4())}
    for headers in (
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "😀://x"},
        {"HTTP_X_FORWARDED_FOR": "not an ip"},
        {"REMOTE_ADDR": "garbage"},
        {"HTTP_USER_AGENT": "u" * 5000},
        {"CONTENT_LENGTH": "abc"},
        {"HTTP_IF_NONE_MATCH": '"' * 300},
        {"HTTP_AUTHORIZATION": "Bearer " + "a" * 5000},
    ):
        assert_clean(client.post(url, body, format="json", **headers))
        assert_clean(client.get("/api/v1/sites/acme/config", **headers))
        assert_clean(client.get("/api/v1/audit", **headers))
