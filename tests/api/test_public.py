"""The banner's endpoints: config with ETag, decisions with receipts, CORS and throttling."""

import re

import pytest

from api.auth import PublicThrottle
from consent.models import ConsentEvent, ConsentState, Site, SubjectAlias
from consent.services.subjects import find_subject
from consent.tokens import sign_subject_token
from cookies.services import publish_banner
from tests.api.banner_support import TEXTS, decision, post

ORIGIN = "https://www.acme.test"


pytestmark = pytest.mark.usefixtures("banner")


# --- config ---------------------------------------------------------------------------------


def test_config_in_the_wire_format_with_etag_and_304(client, banner):
    response = client.get("/api/v1/sites/acme/config?lang=fr")
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "fr" and body["banner_version"] == 1
    assert body["texts"]["title"] == "title fr"
    assert [p["key"] for p in body["purposes"]][:3] == ["essential", "analytics", "advertising"]
    assert body["vendors"][0]["key"] == "partner_ads"
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    again = client.get("/api/v1/sites/acme/config?lang=fr", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    other = client.get("/api/v1/sites/acme/config?lang=en", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200 and other["ETag"] != etag


def test_config_unknown_language_falls_back_to_the_site_default(client, banner):
    body = client.get("/api/v1/sites/acme/config?lang=xx").json()
    assert body["language"] == "en" and body["texts"]["title"] == "title en"


def test_config_etag_changes_when_a_new_banner_is_published(client, banner, site):
    first = client.get("/api/v1/sites/acme/config")["ETag"]
    publish_banner(site, {**TEXTS, "en": {**TEXTS["en"], "title": "New title"}})
    response = client.get("/api/v1/sites/acme/config", HTTP_IF_NONE_MATCH=first)
    assert response.status_code == 200 and response.json()["texts"]["title"] == "New title"


# A NUL in the key is a 400 before any look-up (test_api_fuzz.py, control characters).
@pytest.mark.parametrize("key", ["nope", "x" * 300, "bad%20key", "%ff"])
def test_unknown_site_is_a_404_envelope(client, db, key):
    for response in (
        client.get(f"/api/v1/sites/{key}/config"),
        client.post(f"/api/v1/sites/{key}/decisions", decision(), format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] in ("site.not_found", "not_found")


# --- CORS -----------------------------------------------------------------------------------


def test_cors_only_for_the_sites_origins(client, banner):
    allowed = client.get("/api/v1/sites/acme/config", HTTP_ORIGIN=ORIGIN)
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in allowed["Vary"]
    foreign = client.get("/api/v1/sites/acme/config", HTTP_ORIGIN="https://evil.test")
    assert "Access-Control-Allow-Origin" not in foreign
    refused = post(client, decision(), HTTP_ORIGIN="https://evil.test")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "cors.origin_not_allowed"
    assert ConsentEvent.objects.count() == 0
    accepted = post(client, decision(), HTTP_ORIGIN=ORIGIN)
    assert accepted.status_code == 201 and accepted["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_preflight(client, site):
    ok = client.options(
        "/api/v1/sites/acme/decisions",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok["Access-Control-Allow-Methods"] and "Content-Type" in ok["Access-Control-Allow-Headers"]
    bad = client.options(
        "/api/v1/sites/acme/decisions", HTTP_ORIGIN="https://evil.test", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert bad.status_code == 403 and "Access-Control-Allow-Origin" not in bad
    unknown = client.options(
        "/api/v1/sites/nope/decisions", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert unknown.status_code == 404


def test_new_origin_is_allowed_as_soon_as_the_site_is_saved(client, site):
    assert (
        client.options(
            "/api/v1/sites/acme/decisions",
            HTTP_ORIGIN="https://shop.acme.test",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        ).status_code
        == 403
    )
    site.allowed_origins = [ORIGIN, "https://shop.acme.test/"]
    site.save()
    assert (
        client.options(
            "/api/v1/sites/acme/decisions",
            HTTP_ORIGIN="https://shop.acme.test",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        ).status_code
        == 204
    )


# --- decisions ------------------------------------------------------------------------------


def test_decision_is_recorded_with_a_receipt_and_replays_return_it(client, site):
    body = decision()
    first = post(client, body, HTTP_USER_AGENT="Mozilla/5.0 test", REMOTE_ADDR="203.0.113.77")
    assert first.status_code == 201
    receipt = first.json()
    assert receipt["receipt_id"] == body["id"] and receipt["subject"] == "v-1" and receipt["site"] == "acme"
    assert receipt["decisions"]["analytics"] == {"state": "granted", "version": 1}
    assert receipt["decisions"]["advertising"] == {"state": "denied", "version": 1}
    assert receipt["banner_version"] == 1
    replay = post(client, body)
    assert replay.status_code == 200 and replay.json() == receipt
    assert ConsentEvent.objects.count() == 3
    event = ConsentEvent.objects.get(purpose__key="analytics")
    assert event.ip == "203.0.113.0" and event.user_agent == "Mozilla/5.0 test" and event.method == "custom"
    conflict = post(client, {**body, "decisions": {"analytics": "denied"}})
    assert conflict.status_code == 409 and "id" in conflict.json()["error"]["fields"]
    assert ConsentEvent.objects.count() == 3


def test_forwarded_for_is_ignored_unless_behind_a_proxy(client, site, settings):
    post(client, decision(visitor_id="v-a"), REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert ConsentEvent.objects.filter(subject__aliases__value="v-a").first().ip == "10.1.2.0"
    settings.BEHIND_PROXY = True
    post(client, decision(visitor_id="v-b"), REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.9")
    assert ConsentEvent.objects.filter(subject__aliases__value="v-b").first().ip == "198.51.100.0"


def test_latest_decision_wins_and_withdrawal_is_recorded(client, site):
    post(client, decision(decisions={"analytics": "granted"}, method="accept_all"))
    receipt = post(client, decision(decisions={"analytics": "denied"}, method="reject_all")).json()
    assert receipt["decisions"]["analytics"] == {"state": "withdrawn", "version": 2}
    assert ConsentState.objects.get(purpose__key="analytics").state == "withdrawn"


def test_vendor_refusal_beside_decisions(client, site):
    receipt = post(client, decision(decisions={"advertising": "granted"}, vendors={"partner_ads": "denied"})).json()
    assert receipt["vendors"]["partner_ads"]["advertising"]["state"] == "denied"


@pytest.mark.parametrize("header, kept", [("1", True), ("1, 1", True), ("0, 1", True), ("0", False), ("true", False)])
def test_gpc_header_is_kept_as_evidence_only_when_it_says_1(client, site, header, kept):
    post(client, decision(method="gpc", decisions={"advertising": "denied"}), HTTP_SEC_GPC=header)
    assert ConsentEvent.objects.get().evidence == ({"gpc": True} if kept else {})


def test_gpc_support_resource(client, db):
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["gpc"] is True and re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["lastUpdate"])


def test_subject_token_links_the_visitor_to_the_user(client, site):
    token = sign_subject_token(site, "user-42")
    receipt = post(client, decision(visitor_id="v-9", subject_token=token)).json()
    assert receipt["subject"] == "user-42"
    subject_id = find_subject(site, "user-42")
    assert subject_id == find_subject(site, "v-9")
    assert set(SubjectAlias.objects.filter(subject_id=subject_id).values_list("kind", flat=True)) == {"user", "visitor"}


@pytest.mark.parametrize(
    "token_of",
    [
        lambda site: "garbage",
        lambda site: sign_subject_token(site, "user-1", ttl_seconds=-10),
        lambda site: sign_subject_token(Site(key="other", secret="another-secret"), "user-1"),
        lambda site: 12345,
    ],
)
def test_bad_subject_token_is_a_400_naming_it(client, site, token_of):
    response = post(client, decision(subject_token=token_of(site)))
    assert response.status_code == 400
    assert "subject_token" in response.json()["error"]["fields"]
    assert ConsentEvent.objects.count() == 0


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"decisions": {"marketing": "granted"}}, "decisions.marketing", "decision.unknown_purpose"),
        ({"id": "not-a-uuid"}, "id", "decision.invalid"),
        ({"id": None}, "id", "decision.invalid"),
        ({"method": "telepathy"}, "method", "decision.unknown_method"),
        ({"method": "api"}, "method", "decision.unknown_method"),  # a server method, not the banner's
        ({"decisions": {"analytics": "maybe"}}, "decisions.analytics", "decision.invalid"),
        ({"decisions": ["analytics"]}, "decisions", "decision.invalid"),
        ({"decisions": {"essential": "denied"}}, "decisions.essential", "decision.invalid"),
        ({"vendors": {"nobody": "denied"}}, "vendors.nobody", "decision.invalid"),
        ({"banner_version": "3"}, "banner_version", "decision.invalid"),
        ({"policy_version": -1}, "policy_version", "decision.invalid"),
        ({"policy_version": 2**40}, "policy_version", "decision.invalid"),
        ({"visitor_id": 7}, "visitor_id", "decision.invalid"),
        ({"visitor_id": ""}, "visitor_id", "decision.invalid"),
        ({"visitor_id": "v" * 129}, "visitor_id", "decision.invalid"),
        ({"visitor_id": "v\nx"}, "visitor_id", "decision.invalid"),
        ({"language": ["en"]}, "language", "decision.invalid"),
        ({"jurisdiction": "EUROPEAN-UNION"}, "jurisdiction", "decision.invalid"),
        ({"banner_version": 2}, "banner_version", "decision.invalid"),  # only version 1 is published
        ({"policy_version": 1}, "policy_version", "decision.invalid"),  # no policy published yet
    ],
)
def test_bad_decisions_are_400_naming_the_field(client, site, overrides, field, code):
    response = post(client, decision(**overrides))
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["code"] == code
    assert ConsentEvent.objects.count() == 0


def test_malformed_json_and_wrong_content_type(client, site):
    broken = client.post("/api/v1/sites/acme/decisions", '{"id": ', content_type="application/json")
    assert broken.status_code == 400 and "body" in broken.json()["error"]["fields"]
    array = client.post("/api/v1/sites/acme/decisions", "[1, 2]", content_type="application/json")
    assert array.status_code == 400 and "body" in array.json()["error"]["fields"]
    form = client.post("/api/v1/sites/acme/decisions", "id=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and form.json()["error"]["code"] == "request.unsupported_media_type"
    text = client.post("/api/v1/sites/acme/decisions", "{}", content_type="text/plain")
    assert text.status_code == 415


def test_bodies_over_16_kb_are_413(client, site):
    response = post(client, decision(visitor_id="v", language="x" * 17_000))
    assert response.status_code == 413 and response.json()["error"]["code"] == "request.too_large"


def test_public_endpoints_are_throttled_per_address(client, site, monkeypatch):
    clock = [1_000_000.0]  # 40 s into a minute
    monkeypatch.setattr(PublicThrottle, "THROTTLE_RATES", {"public": "3/min"})
    monkeypatch.setattr(PublicThrottle, "timer", staticmethod(lambda: clock[0]))
    codes = [post(client, decision(), REMOTE_ADDR="192.0.2.1").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = post(client, decision(), REMOTE_ADDR="192.0.2.1")
    assert limited.json()["error"]["code"] == "request.throttled" and limited["Retry-After"] == "20"
    assert post(client, decision(), REMOTE_ADDR="192.0.2.2").status_code == 201
    clock[0] += 20  # the next minute: counted afresh
    assert post(client, decision(), REMOTE_ADDR="192.0.2.1").status_code == 201


def test_the_config_is_not_counted_per_address_and_answers_errors_in_the_envelope(client, site, monkeypatch):
    """The config's GET skips DRF's request and response (`LeanPublicView`); like the embed it is a
    cacheable public document, so it is not throttled, while the decision next to it is."""
    clock = [1_000_000.0]
    monkeypatch.setattr(PublicThrottle, "THROTTLE_RATES", {"public": "2/min"})
    monkeypatch.setattr(PublicThrottle, "timer", staticmethod(lambda: clock[0]))
    url = f"/api/v1/sites/{site.key}/config"
    answers = [client.get(url, REMOTE_ADDR="192.0.2.9") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert answers[0]["Allow"] == "GET, HEAD, OPTIONS"
    assert [post(client, decision(), REMOTE_ADDR="192.0.2.9").status_code for _ in range(3)] == [201, 201, 429]
    unknown = client.get("/api/v1/sites/no-such-site/config", REMOTE_ADDR="192.0.2.10")
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/json"
    assert unknown.json()["error"]["code"] == "site.not_found"
    wrong_method = client.post(url, {}, content_type="application/json", REMOTE_ADDR="192.0.2.11")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "request.method_not_allowed"
