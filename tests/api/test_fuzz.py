"""Junk at every endpoint: whatever arrives, the answer is a 4xx envelope or a success, never a 500.

The test client re-raises any exception a view lets escape, so a crash fails the test loudly.
"""

import json
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from consent.models import AuditEvent, PolicyVersion
from consent.roles import DPO
from console.views import subject_lookup
from cookies.services import publish_banner
from tests.staff import make_staff, sign_in

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


# --- control characters ---------------------------------------------------------------------------

CONTROLS = ["%00", "%01", "%1b", "%7f", "a%00b"]


def assert_control_refused(response, field):
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "request.control_character"
    assert field in error["fields"], error


def test_control_characters_in_queries_get_a_400_naming_the_parameter(client):
    for bad in CONTROLS:
        assert_control_refused(client.get(f"/api/v1/subjects/x/unsubscribe-headers?purpose={bad}"), "purpose")
        assert_control_refused(client.get(f"/api/v1/sites/acme/config?lang={bad}"), "lang")
        for name in ("subject", "purpose", "kind", "since", "until", "cursor", "format"):
            assert_control_refused(client.get(f"/api/v1/audit?{name}={bad}"), name)
        assert_control_refused(client.get(f"/api/v1/audit?format=csv&subject={bad}"), "subject")
    # Tab, line feed and carriage return are whitespace, not refused as controls.
    assert client.get("/api/v1/subjects/x/unsubscribe-headers?purpose=%09").json()["error"]["code"] != (
        "request.control_character"
    )


def test_control_characters_in_paths_get_a_400(client):
    for bad in CONTROLS + ["%09", "%0a"]:
        for url in (
            f"/api/v1/subjects/{bad}/consents",
            f"/api/v1/subjects/{bad}/unsubscribe-headers?purpose=analytics",
            f"/api/v1/sites/{bad}/config",
        ):
            assert_control_refused(client.get(url), "path")
        assert_control_refused(client.post(f"/api/v1/subjects/{bad}/decisions", {}, format="json"), "path")


def test_control_characters_in_json_strings_name_the_field(client):
    body = {**DECISION, "id": str(uuid.uuid4()), "visitor_id": "v-\x01"}
    assert_control_refused(client.post("/api/v1/sites/acme/decisions", body, format="json"), "visitor_id")
    body = {**DECISION, "id": str(uuid.uuid4()), "decisions": {"analytics": "granted\x1b"}}
    assert_control_refused(client.post("/api/v1/sites/acme/decisions", body, format="json"), "decisions.analytics")
    body = {"purpose": "analytics", "subjects": ["user-1", "user\x002"]}
    assert_control_refused(client.post("/api/v1/consents/check", body, format="json"), "subjects.1")


@pytest.fixture
def staff(site):
    user, device = make_staff("dpo", DPO)
    return sign_in(Client(), user, device)


CONSOLE_QUERIES = [
    "/admin/console/subjects/?q={bad}",
    "/admin/console/subjects/?q=user-1&site={bad}",
    "/admin/consent/subject/?q={bad}",
    "/admin/consent/auditevent/?q={bad}",
    "/admin/consent/auditevent/?action={bad}",
    "/admin/consent/auditevent/export.csv?action={bad}",
    "/admin/consent/consentevent/?q={bad}",
    "/admin/consent/consentevent/?decision={bad}",
    "/admin/consent/consentevent/export.csv?method={bad}",
    "/admin/console/dashboard/?start={bad}",
]


def test_control_characters_in_console_searches_and_filters_get_a_400(staff):
    for bad in CONTROLS:
        for url in CONSOLE_QUERIES:
            response = staff.get(url.format(bad=bad))
            assert response.status_code == 400, url
            assert response["Content-Type"].startswith("text/html")
            assert "contains a control character" in response.content.decode()
    assert staff.get("/admin/consent/auditevent/?action=x").status_code == 200
    before = AuditEvent.objects.count()
    staff.get("/admin/consent/auditevent/export.csv?action=%00")
    assert AuditEvent.objects.count() == before  # nothing was exported, so nothing is audited


def test_the_subject_search_form_refuses_control_characters_itself(site, rf):
    """The view itself, past the middleware, as another caller would reach it."""
    request = rf.get("/admin/console/subjects/", {"q": "user\x00"})
    request.user = make_staff("dpo2", DPO)[0]
    response = subject_lookup(request)
    response.render()
    assert response.status_code == 400
    assert "must not contain control characters" in response.content.decode()


def test_control_characters_in_console_forms_get_a_400(staff, site):
    response = staff.post("/admin/consent/policyversion/add/", {"site": site.pk, "kind": "privacy", "text": "a\x00b"})
    assert response.status_code == 400 and "form field &#x27;text&#x27;" in response.content.decode()
    assert not PolicyVersion.objects.exists()
    # Line breaks in a text area are fine.
    staff.post("/admin/consent/policyversion/add/", {"site": site.pk, "kind": "privacy", "text": "a\r\nb\tc"})
    assert PolicyVersion.objects.get().text == "a\r\nb\tc"


@pytest.mark.parametrize("raw", ["not a date", "2026-13-45 10:00", "31/31/2031", "9999-12-31 23:59:59x"])
def test_policy_published_with_a_bad_effective_date_is_a_form_error(staff, site, raw):
    draft = PolicyVersion.objects.create(site=site, kind="privacy", text="Our policy.")
    response = staff.post(f"/admin/consent/policyversion/{draft.pk}/publish/", {"effective_at": raw}, follow=True)
    assert response.status_code == 200
    assert "Not published" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.is_published


def test_policy_published_with_a_large_offset_is_stored_in_utc(staff, site):
    draft = PolicyVersion.objects.create(site=site, kind="privacy", text="Our policy.")
    staff.post(f"/admin/consent/policyversion/{draft.pk}/publish/", {"effective_at": "2099-01-01T00:00:00+16:20"})
    draft.refresh_from_db()
    assert draft.is_published and draft.effective_at.isoformat() == "2098-12-31T07:40:00+00:00"


def test_policy_published_with_a_far_future_date_takes_it(staff, site):
    draft = PolicyVersion.objects.create(site=site, kind="privacy", text="Our policy.")
    response = staff.post(f"/admin/consent/policyversion/{draft.pk}/publish/", {"effective_at": "9999-12-31 23:59"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published and draft.effective_at.year == 9999
    assert staff.get(f"/admin/consent/policyversion/{draft.pk}/change/").status_code == 200
    publish_banner(site, TEXTS)
    assert staff.get("/api/v1/sites/acme/config").json()["policy"]["effective_at"].startswith("9999-12-31")


def test_audit_times_with_any_offset_are_read_as_utc(client):
    """PostgreSQL refuses offsets beyond 15:59 that ISO 8601 parsers accept: found by schemathesis."""
    for value in ("1693-07-15T23:07:19%2B16:20", "2026-01-01T00:00:00-23:59", "0001-01-01T00:00:00%2B01:00"):
        assert_clean(client.get(f"/api/v1/audit?since={value}"))
        assert_clean(client.get(f"/api/v1/audit?until={value}&format=csv"))
    assert client.get("/api/v1/audit?since=2026-01-01T00:00:00%2B16:20").status_code == 200
    assert client.get("/api/v1/audit?since=0001-01-01T00:00:00%2B01:00").json()["error"]["fields"] == {
        "since": ["The date-time is out of range."]
    }
