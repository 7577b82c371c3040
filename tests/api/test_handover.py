"""A decision made on one of a site's domains is honoured on its sibling domains: a signed,
short-lived token carries the recorded decisions, and the target records them as cross_domain."""

import uuid

import pytest
from django.core import signing
from django.core.cache import cache

from consent.models import ConsentEvent, ConsentState, Subject
from consent.services.subjects import find_subject
from cookies.services import publish_banner
from features import domains
from tests.api.banner_support import TEXTS, decision, post

DE = "https://www.acme.test"
PL = "https://acme-shop.test"


@pytest.fixture(autouse=True)
def sibling(site):
    site.allowed_origins = [DE, PL]
    site.save()
    publish_banner(site, TEXTS)
    return site


def issue(client, visitor="v-de", target=PL, origin=DE):
    return client.post(
        "/api/v1/sites/acme/handover",
        {"visitor_id": visitor, "target_origin": target},
        format="json",
        HTTP_ORIGIN=origin,
    )


def accept(client, token, visitor="v-pl", origin=PL, **extra):
    return client.post(
        "/api/v1/sites/acme/handover/accept",
        {"visitor_id": visitor, "token": token},
        format="json",
        HTTP_ORIGIN=origin,
        **extra,
    )


def states(visitor):
    return {
        s.purpose.key: (s.state, s.method)
        for s in ConsentState.objects.filter(subject__aliases__value=visitor, vendor__isnull=True)
    }


def decide_on_de(client):
    body = decision(visitor_id="v-de", decisions={"analytics": "granted", "advertising": "denied"})
    assert post(client, body, HTTP_ORIGIN=DE).status_code == 201


def test_decision_travels_to_the_sibling_domain(client, site):
    decide_on_de(client)
    issued = issue(client)
    assert issued.status_code == 200 and issued["Cache-Control"] == "no-store"
    token = issued.json()["token"]
    assert issued.json()["fragment"] == "_cst"
    payload = signing.TimestampSigner(key=site.secret, salt=domains.SALT).unsign_object(token)
    assert payload["d"] == {"analytics": "granted", "advertising": "denied"} and (payload["f"], payload["t"]) == (
        DE,
        PL,
    )
    assert "v-de" not in str(payload)  # no visitor id travels on the link
    response = accept(client, token)
    assert response.status_code == 201, response.json()
    assert response.json()["method"] == "cross_domain"
    assert states("v-pl") == {"analytics": ("granted", "cross_domain"), "advertising": ("denied", "cross_domain")}
    event = ConsentEvent.objects.filter(method="cross_domain").first()
    head = Subject.objects.get(pk=find_subject(site, "v-de")).last_hash
    assert event.evidence == {"from_origin": DE, "from_chain_head": head}
    # The same visitor retrying gets the same receipt; another visitor cannot reuse the token.
    assert accept(client, token).status_code == 200
    assert accept(client, token, visitor="v-other").status_code == 409
    assert ConsentEvent.objects.filter(method="cross_domain").count() == 2


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"origin": "https://evil.test"}, "origin"),  # refused by CORS before the view
        ({"target": "https://evil.test"}, "target_origin"),
        ({"target": DE}, "target_origin"),
        ({"visitor": ""}, "visitor_id"),
    ],
)
def test_issue_only_between_the_sites_own_origins(client, kwargs, field):
    decide_on_de(client)
    response = issue(client, **kwargs)
    assert response.status_code == {"origin": 403, "target_origin": 400, "visitor_id": 400}[field]
    if response.status_code == 400:
        assert field in response.json()["error"]["fields"]


def test_nothing_to_carry_is_404(client):
    response = issue(client, visitor="v-unknown")
    assert response.status_code == 404 and response.json()["error"]["code"] == "handover.nothing"


def test_token_is_bound_to_its_target_site_and_lifetime(client, site, settings):
    decide_on_de(client)
    token = issue(client).json()["token"]
    wrong_target = accept(client, token, origin=DE)
    assert wrong_target.status_code == 400 and "origin" in wrong_target.json()["error"]["fields"]
    tampered = accept(client, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert tampered.status_code == 400 and tampered.json()["error"]["code"] == "handover.invalid"
    settings.CROSS_DOMAIN_TOKEN_SECONDS = -1
    expired = accept(client, token)
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "handover.expired"
    assert not ConsentEvent.objects.filter(method="cross_domain").exists()


def test_another_sites_token_is_refused(client, site):
    decide_on_de(client)
    token = issue(client).json()["token"]
    site.secret = "rotated-secret-" + uuid.uuid4().hex
    site.save()
    cache.clear()
    response = accept(client, token)
    assert response.status_code == 400 and response.json()["error"]["fields"]["token"]


def test_a_later_choice_on_the_target_domain_is_kept(client):
    decide_on_de(client)
    token = issue(client).json()["token"]
    later = decision(visitor_id="v-pl", decisions={"analytics": "denied"}, method="reject_all")
    assert post(client, later, HTTP_ORIGIN=PL).status_code == 201
    assert accept(client, token).status_code == 201
    assert states("v-pl") == {"analytics": ("denied", "reject_all"), "advertising": ("denied", "cross_domain")}


def test_banner_settings_carry_rules_cookie_domain_and_handover(site):
    site.cookie_domain = ".acme.test"
    carried = domains.banner_settings(site)
    assert carried["cookie_domain"] == ".acme.test"
    assert carried["handover"]["origins"] == [DE, PL] and carried["handover"]["fragment"] == "_cst"
    assert carried["regimes"]["default"] == "opt_in" and "US-CA" in carried["regimes"]["places"]["opt_out"]
