"""Bconnect (seed policy 004, a live-chat platform in the Netherlands), promise by promise.

Each test walks one promise of the policy against the running platform: the API as Bconnect's
back end calls it, the pages as the visitor opens them, the banner in a browser.

Not yet covered here (other work in progress): applicant data kept one year (the platform holds
no applicant data; its retention is per site, for consent records and analytics data), choices
per partner in the banner walked on this site (the dialog offers them, see test_crm), the notice
of a change in the banner walked on this site (see test_mailer).
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.exceptions import ConsentError
from consent.models import ConsentEvent, Method, PolicyKind, RightsRequest, Subject, SubjectAlias
from consent.proof.verify import verify_ledger
from features.policies import create_draft, publish_policy
from features.rights import complete_rights_request, extend_rights_request
from tests.seeds.helpers import (
    banner_states,
    load,
    open_centre,
    open_demo,
    optional_cookies,
    wait_for,
    walk_retention,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return load("livechat")


def visitor(backend, ref="customer-1", decisions=None):
    response = backend.decide(ref, decisions or {"analytics": "denied"})
    assert response.status_code == 201, response.content
    return backend.subject_id(ref)


def test_opt_in_before_sharing_with_third_parties(backend):
    """ "We will provide an individual 'opt-out' or 'opt-in' choice before we share data with third
    parties, other than our third-party service providers.\""""
    visitor(backend)
    assert not backend.allowed("third_party_sharing", "customer-1")
    backend.decide("customer-1", {"third_party_sharing": "granted"})
    assert backend.allowed("third_party_sharing", "customer-1")
    backend.decide("customer-1", {"third_party_sharing": "denied"})
    assert not backend.allowed("third_party_sharing", "customer-1")


def test_a_new_purpose_asks_again(site, backend):
    """ "... or before using it for a purpose other than that for which it was originally collected":
    a material change re-asks the purposes it names once it applies."""
    visitor(backend, decisions={"third_party_sharing": "granted"})
    draft = create_draft(site, kind=PolicyKind.PRIVACY, text="Sharing for a new purpose.", material=True)
    draft.affected_purposes.set(site.purposes.filter(key="third_party_sharing"))
    published = timezone.now() - timedelta(days=31)
    publish_policy(draft, now=published)
    consents = backend.consents("customer-1")["purposes"]["third_party_sharing"]
    assert consents["state"] == "granted" and consents["needs_reconsent"] is True and consents["allowed"] is False
    assert not backend.allowed("third_party_sharing", "customer-1")


def test_the_digital_marketing_processors_are_named(client, site):
    """ "Our appointed data processors include: (i) Prospect Global Ltd (trading as Sopro)\""""
    body = client.get(f"/api/v1/sites/{site.key}/config").json()
    vendors = {v["key"]: v for v in body["vendors"]}
    assert vendors["sopro"]["name"] == "Prospect Global Ltd (trading as Sopro)" and vendors["sopro"]["country"] == "GB"
    marketing = next(p for p in body["purposes"] if p["key"] == "digital_marketing")
    assert marketing["vendors"] == ["sopro"] and marketing["legal_basis"] == "legitimate_interest"


def test_no_more_mail_when_you_object(client, backend, site):
    """ "You can indicate to us that you no longer wish to receive mail from us. The same applies to
    personalized recommendations on our website.\""""
    subject_id = visitor(backend)
    assert backend.allowed("digital_marketing", "customer-1") and backend.allowed("recommendations", "customer-1")
    open_centre(client, site, subject_id)
    client.post(f"/preferences/{site.key}/object/recommendations")
    assert not backend.allowed("recommendations", "customer-1")
    headers = backend.get("subjects/customer-1/unsubscribe-headers", purpose="digital_marketing").json()
    url = headers["List-Unsubscribe"].strip("<>")
    client.post("/" + url.split("://", 1)[1].split("/", 1)[1], {"List-Unsubscribe": "One-Click"})
    assert not backend.allowed("digital_marketing", "customer-1")


def test_requests_within_30_days_or_60_when_complex(client, backend, site):
    """ "We will process your request or complaint within 30 days. If ... your request or complaint
    is complex ... we will contact you no later than 60 days.\""""
    open_centre(client, site, visitor(backend))
    page = client.get(f"/preferences/{site.key}/").content
    assert b"We answer within 30 days, or within 60 days if the request is complex" in page
    client.post(f"/preferences/{site.key}/requests", {"kind": "access"})
    request = RightsRequest.objects.get()
    assert request.due_at - request.received_at == timedelta(days=30)
    extend_rights_request(request, "Multiple requests at once.")
    assert request.due_at - request.received_at == timedelta(days=60)
    with pytest.raises(ConsentError) as err:
        extend_rights_request(request, "Still more.")
    assert err.value.code == "rights.extension_limit" and "60 days" in err.value.message


def test_under_18_permission_of_a_parent(client, backend, site):
    """ "If you are under 18, you need permission from a parent or guardian to use our website.\""""
    refused = backend.decide("teen-1", {"analytics": "granted"}, age=17)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "decision.parental_consent_required"
    adult = backend.decide("adult-1", {"analytics": "granted"}, age=18)
    assert adult.status_code == 201
    given = backend.decide(
        "teen-1",
        {"analytics": "granted"},
        age=17,
        parental_consent={"given_by": "guardian account", "method": "signed form"},
    )
    assert given.status_code == 201
    page = open_centre(client, site, backend.subject_id("teen-1"))
    assert b"Under the age of 18, a parent or guardian must agree" in page.content


def test_testimonials_only_with_express_prior_consent(backend):
    """ "Posted with the express prior consent of those affected.\""""
    visitor(backend)
    assert not backend.allowed("testimonials", "customer-1")
    backend.decide("customer-1", {"testimonials": "granted"})
    assert backend.allowed("testimonials", "customer-1")


def test_right_to_be_forgotten_keeps_only_pseudonymous_proof(backend, site):
    """ "You may ask us to delete any data we have on you": the person's identifiers go, the
    pseudonymous proof of what was consented stays."""
    subject_id = visitor(backend, decisions={"third_party_sharing": "granted"})
    Subject.objects.filter(pk=subject_id).update(email="someone@example.test")
    request = RightsRequest.objects.create(
        site=site, subject_id=subject_id, kind="erasure", received_at=timezone.now(), due_at=timezone.now()
    )
    complete_rights_request(request)
    assert SubjectAlias.objects.filter(subject_id=subject_id).count() == 0
    assert Subject.objects.get(pk=subject_id).email == ""
    assert list(
        ConsentEvent.objects.filter(subject_id=subject_id).order_by("seq").values_list("decision", "method")
    ) == [("granted", "api"), ("withdrawn", Method.ERASURE)]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_tracking_by_cookies_pixels_and_beacons_waits_for_a_yes(live_server, page):
    """Analytics and targeted advertising ("cookies, web beacons, tags and scripts") start only after
    the visitor agrees; rejecting keeps them off."""
    site = load("livechat")
    open_demo(page, live_server, site)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert optional_cookies(page, site) == []
    dialog.get_by_role("button", name="Reject all").click()
    assert wait_for(page, lambda: banner_states(site).get("advertising") == ("denied", Method.REJECT_ALL))
    page.wait_for_function("() => window.consent.get('advertising') === false")
    assert optional_cookies(page, site) == []


def test_a_complex_deadline_shorter_than_the_simple_one_is_refused(site):
    """The site's deadlines stay coherent: "60 days when complex" can never be sooner than 30."""
    site.rights_complex_deadline_days = 20
    with pytest.raises(ValidationError) as err:
        site.full_clean()
    assert "rights_complex_deadline_days" in err.value.message_dict


def test_records_are_kept_seven_years_then_compacted(client, site):
    """ "Customer data ... seven years": superseded consent records older than that leave the
    ledger (the choice in force and younger records stay, the ledger still verifies)."""
    assert site.retention_days == 7 * 365
    subject_id, result, left = walk_retention(site, kept_days=site.retention_days)
    assert result.events_removed == 2 and len(left) == 2
    assert verify_ledger(site=site).ok
    html = open_centre(client, site, subject_id).content.decode()
    assert "Records of your choices are kept for 7 years" in html


def test_the_banner_and_pages_in_dutch(client, site, backend):
    """A Dutch company: the banner in Dutch for a Dutch page or browser, the centre too."""
    embed = client.get(f"/c/{site.key}.js", HTTP_ACCEPT_LANGUAGE="nl-NL, en;q=0.5").content.decode()
    assert "Cookies op Bconnect" in embed and "Alles weigeren" in embed
    backend.decide("visitor-nl", {"analytics": "granted"})
    open_centre(client, site, backend.subject_id("visitor-nl"))
    html = client.get(f"/preferences/{site.key}/?lang=nl").content.decode()
    assert '<html lang="nl">' in html and "Uw privacyvoorkeuren" in html
