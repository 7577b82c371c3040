"""Every decision records the visitor's jurisdiction, and GPC is honoured on the server per regime."""

import uuid

import pytest

from consent.models import ConsentEvent, ConsentState
from features.regime_decisions import signal_receipt_id
from tests.api.banner_support import decision, post

pytestmark = pytest.mark.usefixtures("banner")


@pytest.fixture
def geo(settings):
    settings.GEO_HEADER = "CF-IPCountry"
    settings.GEO_REGION_HEADER = "CF-Region-Code"
    return settings


def states(visitor="v-1"):
    return {
        s.purpose.key: (s.state, s.method)
        for s in ConsentState.objects.filter(subject__aliases__value=visitor, vendor__isnull=True)
    }


def server_post(client, api_key, ref, body, **extra):
    return client.post(
        f"/api/v1/subjects/{ref}/decisions", body, format="json", HTTP_AUTHORIZATION=f"Bearer {api_key}", **extra
    )


# --- jurisdiction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "country, region, expected",
    [
        ("FR", None, "FR"),
        ("us", "ca", "US-CA"),
        ("US", "US-TX", "US-TX"),
        ("US", "NO REGION", "US"),
        ("XX", "CA", ""),  # CDN's "unknown"
        ("T1", None, ""),  # Tor
        ("FRANCE", None, ""),
    ],
)
def test_geo_header_is_recorded_on_every_event(client, site, geo, country, region, expected):
    extra = {"HTTP_CF_IPCOUNTRY": country}
    if region:
        extra["HTTP_CF_REGION_CODE"] = region
    response = post(client, decision(), **extra)
    assert response.status_code == 201, response.json()
    assert response.json()["jurisdiction"] == expected
    assert set(ConsentEvent.objects.values_list("jurisdiction", flat=True)) == {expected}


def test_without_geo_header_setting_the_header_is_not_trusted(client, site, settings):
    settings.GEO_HEADER = ""
    post(client, decision(), HTTP_CF_IPCOUNTRY="US")
    assert set(ConsentEvent.objects.values_list("jurisdiction", flat=True)) == {""}


def test_header_wins_over_the_banner_claim_and_the_site_default(client, site, geo):
    site.default_jurisdiction = "DE"
    site.save()
    post(client, decision(jurisdiction="US-CA"), HTTP_CF_IPCOUNTRY="FR")
    post(client, decision(id=str(uuid.uuid4()), visitor_id="v-2", jurisdiction="US-CA"))
    post(client, decision(id=str(uuid.uuid4()), visitor_id="v-3"))
    by_visitor = {e.subject.aliases.get().value: e.jurisdiction for e in ConsentEvent.objects.select_related("subject")}
    assert by_visitor == {"v-1": "FR", "v-2": "US-CA", "v-3": "DE"}


@pytest.mark.parametrize("value", ["us-ca", "EUROPEAN", "XX", "US_CA"])
def test_claimed_jurisdiction_must_be_an_iso_code(client, site, value):
    response = post(client, decision(jurisdiction=value))
    assert response.status_code == 400
    assert "jurisdiction" in response.json()["error"]["fields"]
    assert not ConsentEvent.objects.exists()


def test_server_decision_takes_an_explicit_jurisdiction_else_the_last_known(client, site, api_key):
    body = {"id": str(uuid.uuid4()), "decisions": {"analytics": "granted"}, "jurisdiction": "US-VA"}
    assert server_post(client, api_key, "user-1", body).status_code == 201
    again = {"id": str(uuid.uuid4()), "decisions": {"marketing_email": "granted"}}
    response = server_post(client, api_key, "user-1", again)
    assert response.json()["jurisdiction"] == "US-VA" and response.json()["regime"] == "opt_out"
    bad = server_post(client, api_key, "user-1", {**again, "id": str(uuid.uuid4()), "jurisdiction": "Virginia"})
    assert bad.status_code == 400 and "jurisdiction" in bad.json()["error"]["fields"]
    assert list(ConsentEvent.objects.values_list("jurisdiction", flat=True)) == ["US-VA", "US-VA"]


def test_jurisdiction_endpoint_is_tiny_and_never_cached(client, site, geo):
    response = client.get("/api/v1/sites/acme/jurisdiction", HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="CA")
    assert response.status_code == 200
    assert response.json() == {"jurisdiction": "US-CA", "regime": "opt_out", "gpc": False}
    assert response["Cache-Control"] == "private, no-store"
    eu = client.get("/api/v1/sites/acme/jurisdiction", HTTP_CF_IPCOUNTRY="FR", HTTP_SEC_GPC="1").json()
    assert eu == {"jurisdiction": "FR", "regime": "opt_in", "gpc": True}
    assert client.get("/api/v1/sites/nope/jurisdiction").status_code == 404


# --- GPC ------------------------------------------------------------------------------------


def test_gpc_in_an_opt_out_jurisdiction_overrides_a_grant(client, site, geo):
    body = decision(decisions={"analytics": "granted", "advertising": "granted"}, method="accept_all")
    response = post(client, body, HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="CA", HTTP_SEC_GPC="1")
    assert response.status_code == 201
    receipt = response.json()
    assert receipt["regime"] == "opt_out"
    assert receipt["gpc"] == {"signal": True, "binding": True, "denied": ["advertising"], "overrode": ["advertising"]}
    assert receipt["decisions"]["advertising"]["state"] == "denied"
    assert states() == {"analytics": ("granted", "accept_all"), "advertising": ("denied", "gpc")}
    gpc_event = ConsentEvent.objects.get(purpose__key="advertising")
    assert gpc_event.evidence == {"gpc": True, "gpc_overrode": ["advertising"]}
    assert gpc_event.receipt_id == signal_receipt_id(uuid.UUID(body["id"]))
    assert ConsentEvent.objects.get(purpose__key="analytics").evidence == {"gpc": True}
    # A replay records nothing more and answers the same.
    again = post(client, body, HTTP_CF_IPCOUNTRY="US", HTTP_CF_REGION_CODE="CA", HTTP_SEC_GPC="1")
    assert again.status_code == 200 and again.json()["decisions"] == receipt["decisions"]
    assert ConsentEvent.objects.count() == 2


def test_gpc_denies_unnamed_sensitive_purposes_once_in_opt_out(client, site, geo):
    extra = {"HTTP_CF_IPCOUNTRY": "US", "HTTP_CF_REGION_CODE": "CO", "HTTP_SEC_GPC": "1"}
    first = post(client, decision(decisions={"analytics": "denied"}, method="custom"), **extra)
    assert first.json()["gpc"]["denied"] == ["advertising"]
    assert states()["advertising"] == ("denied", "gpc")
    second = post(client, decision(id=str(uuid.uuid4()), decisions={"analytics": "granted"}), **extra)
    assert second.json()["gpc"]["denied"] == []  # already refused: no new event
    assert ConsentEvent.objects.filter(purpose__key="advertising").count() == 1


def test_gpc_in_an_opt_in_jurisdiction_keeps_an_explicit_grant(client, site, geo):
    body = decision(decisions={"advertising": "granted"}, method="custom")
    response = post(client, body, HTTP_CF_IPCOUNTRY="FR", HTTP_SEC_GPC="1")
    assert response.json()["gpc"] == {"signal": True, "binding": False, "denied": []}
    assert states() == {"advertising": ("granted", "custom")}
    assert ConsentEvent.objects.get().evidence == {"gpc": True}


def test_gpc_is_binding_for_any_us_visitor_even_where_the_site_default_is_opt_in(client, site, geo):
    response = post(client, decision(decisions={"advertising": "granted"}), HTTP_CF_IPCOUNTRY="US", HTTP_SEC_GPC="1")
    assert response.json()["regime"] == "opt_in" and response.json()["gpc"]["binding"] is True
    assert states() == {"advertising": ("denied", "gpc")}


def test_gpc_on_the_server_api(client, site, api_key):
    body = {"id": str(uuid.uuid4()), "decisions": {"advertising": "granted"}, "jurisdiction": "US-CA"}
    response = server_post(client, api_key, "user-9", body, HTTP_SEC_GPC="1")
    assert response.status_code == 201 and response.json()["gpc"]["overrode"] == ["advertising"]
    assert states("user-9") == {"advertising": ("denied", "gpc")}


def test_invalid_request_with_gpc_records_nothing(client, site, geo):
    extra = {"HTTP_CF_IPCOUNTRY": "US", "HTTP_CF_REGION_CODE": "CA", "HTTP_SEC_GPC": "1"}
    response = post(client, decision(decisions={"analytics": "granted", "nope": "granted"}), **extra)
    assert response.status_code == 400
    response = post(client, decision(decisions={"advertising": "granted"}, method="bogus"), **extra)
    assert response.status_code == 400
    assert not ConsentEvent.objects.exists()


# --- meaning ------------------------------------------------------------------------------------


def test_consents_read_under_the_regime_of_the_latest_jurisdiction(client, site, api_key):
    site.regime_settings = {"opt_out": {"sensitive": ["marketing_email"]}}
    site.save()
    body = {"id": str(uuid.uuid4()), "decisions": {"advertising": "denied"}, "jurisdiction": "US-CA"}
    server_post(client, api_key, "u-ca", body)
    server_post(client, api_key, "u-fr", {**body, "id": str(uuid.uuid4()), "jurisdiction": "FR"})
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    ca = client.get("/api/v1/subjects/u-ca/consents", **auth).json()
    fr = client.get("/api/v1/subjects/u-fr/consents", **auth).json()
    assert ca["regime"] == "opt_out" and fr["regime"] == "opt_in"
    assert ca["purposes"]["analytics"]["allowed"] is True  # no decision: runs until an opt-out
    assert ca["purposes"]["marketing_email"]["allowed"] is False  # sensitive: opt-in
    assert ca["purposes"]["advertising"]["allowed"] is False  # opted out
    assert fr["purposes"]["analytics"]["allowed"] is False
    assert ca["history"][0]["jurisdiction"] == "US-CA"
    check = client.post(
        "/api/v1/consents/check",
        {"purpose": "analytics", "subjects": ["u-ca", "u-fr", "unknown"]},
        format="json",
        **auth,
    ).json()
    assert check["allowed"] == ["u-ca"] and check["denied"] == ["u-fr", "unknown"]
