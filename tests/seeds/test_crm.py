"""Bitrix24 (seed policy 003, a CRM and collaboration suite on ten country domains), promise by promise.

Each test walks one promise of the policy against the running platform: the API as the suite's
back end calls it, the banner's endpoint as each country domain calls it, the pages as the user
opens them.

Not yet covered here (other work in progress): California's opt-out regime (regimes).
"""

import json
import uuid

import pytest

from consent.models import ConsentEvent, ConsentState, SubjectAlias
from consent.tokens import sign_subject_token
from demo.crm import BANNER_TEXTS, DOMAINS
from tests.seeds.helpers import (
    banner_decision,
    banner_states,
    load,
    methods,
    open_centre,
    open_demo,
    read,
    wait_for,
)

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


@pytest.mark.parametrize("domain, lang", [("de", "de"), ("pl", "pl"), ("com-tr", "tr"), ("com-br", "pt"), ("es", "es")])
def test_each_country_domain_gets_the_banner_in_its_language(client, site, domain, lang):
    """The banner speaks the language of the country domain's pages (<html lang>, sent as ?lang=)."""
    origin = f"https://www.crm-{domain}.test"
    embed = client.get(f"/c/{site.key}.js?lang={lang}", HTTP_ORIGIN=origin).content.decode()
    assert BANNER_TEXTS[lang]["title"] in embed and BANNER_TEXTS[lang]["reject_all"] in embed
    details = client.get(f"/c/{site.key}/details.json?lang={lang}", HTTP_ORIGIN=origin).json()
    assert details["language"] == lang


def test_selected_companies_can_be_refused_one_by_one_in_the_centre(client, site, backend):
    """The preference centre offers a switch per company within the sharing purpose."""
    backend.decide("account-7", {"third_party_sharing": "granted"})
    subject_id = backend.subject_id("account-7")
    html = open_centre(client, site, subject_id).content.decode()
    assert 'name="vendor.third_party_sharing.strategic_partners"' in html
    response = client.post(
        f"/preferences/{site.key}/choices",
        {
            "purpose-third_party_sharing": "granted",
            "vendor.third_party_sharing.strategic_partners": "denied",
            "vendor.third_party_sharing.marketing_companies": ["denied", "granted"],
        },
    )
    assert response.status_code == 302
    check = backend.post(
        "consents/check", {"purpose": "third_party_sharing", "vendor": "strategic_partners", "subjects": ["account-7"]}
    ).json()
    assert check["denied"] == ["account-7"]
    check = backend.post(
        "consents/check", {"purpose": "third_party_sharing", "vendor": "marketing_companies", "subjects": ["account-7"]}
    ).json()
    assert check["allowed"] == ["account-7"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_selected_companies_can_be_refused_one_by_one_in_the_banner(live_server, page):
    """The banner's preferences list each purpose's companies with a switch each: refusing one
    keeps sharing with the others, and the dialog remembers it when reopened."""
    site = load("crm")
    open_demo(page, live_server, site)
    page.get_by_role("dialog").get_by_role("button", name="Choose").click()
    prefs = page.get_by_role("dialog", name="Privacy preferences")
    prefs.get_by_role("checkbox", name="Sharing with selected companies").check()
    partners = prefs.get_by_role("checkbox", name="Strategic marketing partners")
    partners.wait_for()
    assert partners.is_checked()
    partners.uncheck()
    prefs.get_by_role("button", name="Save my choices").click()
    subject = lambda: ConsentState.objects.filter(subject__site=site, vendor__key="strategic_partners").first()  # noqa: E731
    assert wait_for(page, lambda: subject() is not None)
    state = read(subject)
    assert (state.state, state.method, state.purpose.key) == ("denied", "custom", "third_party_sharing")
    assert banner_states(site)["third_party_sharing"] == ("granted", "custom")
    assert not read(lambda: ConsentState.objects.filter(vendor__key="marketing_companies").exists())
    page.evaluate("() => window.consent.show()")
    again = page.get_by_role("dialog", name="Privacy preferences").get_by_role(
        "checkbox", name="Strategic marketing partners"
    )
    again.wait_for()
    assert not again.is_checked()
