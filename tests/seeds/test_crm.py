"""Bitrix24 (seed policy 003, a CRM and collaboration suite on ten country domains), promise by promise.

Each test walks one promise of the policy against the running platform: the API as the suite's
back end calls it, the banner's endpoint as each country domain calls it, the pages as the user
opens them.

Not yet covered here (other work in progress): the banner in the language of each country
domain (languages), choices per company in the banner itself (per-vendor choices; the API
already takes them, see below), California's opt-out regime (regimes), retention.
"""

import json
import uuid

import pytest

from consent.models import ConsentEvent, SubjectAlias
from consent.tokens import sign_subject_token
from demo.crm import DOMAINS
from tests.seeds.helpers import banner_decision, load, methods, open_centre

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return load("crm")


def test_one_controller_many_domains(client, site):
    """One policy for all country websites: each domain's banner may call the platform (CORS),
    an unrelated origin may not."""
    assert len(site.allowed_origins) >= len(DOMAINS)
    for origin in [o for o in site.allowed_origins if o.endswith(".test")]:
        response = client.get(f"/api/v1/sites/{site.key}/config", HTTP_ORIGIN=origin)
        assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == origin
    other = client.get(f"/api/v1/sites/{site.key}/config", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def test_session_and_persistent_cookies_and_web_beacons_are_declared(client, site):
    """ "Session cookies ... persistent cookies ... web beacons": each is listed with its lifetime."""
    cookies = {c["name"]: c for c in client.get(f"/api/v1/sites/{site.key}/config").json()["cookies"]}
    assert cookies["b24_session"]["lifetime_seconds"] is None  # a session cookie
    assert cookies["b24_stats"]["lifetime_seconds"] > 0  # persistent
    assert cookies["b24_beacon"]["storage"] == "pixel"  # a web beacon


def test_newsletter_only_with_consent(backend):
    """Newsletters and offers are sent only with consent, and every email lets the user opt out."""
    backend.decide("account-1", {"analytics": "denied"})
    assert not backend.allowed("marketing_email", "account-1")
    backend.decide("account-1", {"marketing_email": "granted"})
    assert backend.allowed("marketing_email", "account-1")
    headers = backend.get("subjects/account-1/unsubscribe-headers", purpose="marketing_email")
    assert headers.status_code == 200 and headers.json()["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_opt_out_of_sharing_with_selected_companies(backend):
    """ "You may opt out of having your personal data shared with selected companies": one company
    can be refused while sharing with the others stays allowed."""
    response = backend.decide("account-2", {"third_party_sharing": "granted"}, vendors={"strategic_partners": "denied"})
    assert response.status_code == 201, response.content
    assert backend.allowed("third_party_sharing", "account-2")
    check = backend.post(
        "consents/check", {"purpose": "third_party_sharing", "vendor": "strategic_partners", "subjects": ["account-2"]}
    ).json()
    assert check["denied"] == ["account-2"]
    check = backend.post(
        "consents/check", {"purpose": "third_party_sharing", "vendor": "marketing_companies", "subjects": ["account-2"]}
    ).json()
    assert check["allowed"] == ["account-2"]


def test_the_latest_choice_wins_on_every_domain(client, site, backend):
    """The policy warns that "inconsistent preferences may not be honoured"; the platform does
    better: the user's latest choice, made on any country domain, is the one that counts."""
    token = sign_subject_token(site, "account-3")
    first = banner_decision(client, site, "v-de-1", {"analytics": "granted"}, subject_token=token)
    assert first.status_code == 201, first.content
    assert backend.allowed("analytics", "account-3")
    later = banner_decision(client, site, "v-fr-2", {"analytics": "denied"}, subject_token=token)
    assert later.status_code == 201, later.content
    assert not backend.allowed("analytics", "account-3")
    subject_id = backend.subject_id("account-3")
    assert set(SubjectAlias.objects.filter(subject_id=subject_id).values_list("value", flat=True)) == {
        "account-3",
        "v-de-1",
        "v-fr-2",
    }
    assert methods(subject_id, "analytics") == [("granted", "custom"), ("withdrawn", "custom")]


def test_under_16_a_parent_must_agree(client, backend, site):
    """ "If you are under 16 years old, you may only use our website with your parent or legal
    guardian's permission": a minor's consent needs it, and the centre names the rule."""
    refused = backend.decide("account-4", {"marketing_email": "granted"}, age=14)
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"parental_consent.given_by", "parental_consent.method"}
    assert ConsentEvent.objects.count() == 0
    backend.decide("account-4", {"analytics": "denied"}, age=14)
    page = open_centre(client, site, backend.subject_id("account-4"))
    assert b"Under the age of 16, a parent or guardian must agree" in page.content


def test_requests_within_the_applicable_timeframe(client, backend, site):
    """ "We will respond to your requests within all applicable timeframes": GDPR's one month."""
    backend.decide("account-5", {"analytics": "denied"})
    open_centre(client, site, backend.subject_id("account-5"))
    response = client.post(f"/preferences/{site.key}/requests", {"kind": "access"}, follow=True)
    assert response.status_code == 200
    assert b"We answer within one month" in response.content


def test_a_replayed_banner_request_is_recorded_once(client, site):
    """A choice sent twice (a flaky network between a country domain and the platform) is one choice."""
    body = {"id": str(uuid.uuid4()), "visitor_id": "v-pl-1", "decisions": {"analytics": "granted"}, "method": "custom"}
    for expected in (201, 200):
        response = client.post(
            f"/api/v1/sites/{site.key}/decisions", data=json.dumps(body), content_type="application/json"
        )
        assert response.status_code == expected
    assert ConsentEvent.objects.filter(site=site).count() == 1
