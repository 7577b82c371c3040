"""BizXpert (seed policy 001, a business software vendor), promise by promise.

Each test walks one promise of the policy against the running platform: the API as BizXpert's
back end calls it, the pages as its customer opens them, the banner in a browser.

Not yet covered here (other work in progress): California's opt-out regime (regimes), choices
per processor in the banner (per-vendor choices: the dialog offers them, see test_crm; no
walk of this site's processors yet).
"""

from datetime import timedelta

import pytest
from django.core import mail

from consent.exceptions import ConsentError
from consent.models import ConsentEvent, Method, RightsRequest
from consent.proof.verify import verify_ledger
from features.rights import add_months, extend_rights_request
from tests.seeds.helpers import (
    banner_states,
    load,
    methods,
    open_centre,
    open_demo,
    optional_cookies,
    path_of,
    wait_for,
    walk_retention,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return load("bizsoft")


def customer(backend, ref="customer-1", decisions=None):
    response = backend.decide(ref, decisions or {"analytics": "denied"})
    assert response.status_code == 201, response.content
    return backend.subject_id(ref)


def config(client, site):
    response = client.get(f"/api/v1/sites/{site.key}/config")
    assert response.status_code == 200
    return response.json()


def test_each_purpose_has_the_legal_basis_the_policy_gives(client, site):
    """ "Performance of a contract ... legitimate interests ... legal obligation ... consent":
    the table of purposes and reasons, as the platform serves it."""
    bases = {p["key"]: p["legal_basis"] for p in config(client, site)["purposes"]}
    assert bases["essential"] == "contract"  # register you, process and deliver your order
    assert bases["account_notices"] == "contract"  # notifying you about changes to our terms
    assert bases["legal_records"] == "legal_obligation"  # six years, for tax purposes
    assert bases["product_insights"] == "legitimate_interest"  # data analytics to improve our products
    assert bases["our_offers_email"] == "legitimate_interest"  # other information we think you might like
    assert bases["partner_marketing_email"] == bases["partner_marketing_sms"] == "consent"


def test_the_named_processors_are_listed(client, site):
    """ "Google ... Stripe, Salesforce, or Segment ... PayPal ... AWS ... Mailgun\""""
    names = {v["name"] for v in config(client, site)["vendors"]}
    assert {"Google Analytics", "Stripe", "Salesforce", "Segment", "Mailgun", "PayPal", "Amazon Web Services"} <= names


def test_third_party_marketing_only_with_explicit_consent(backend):
    """ "We will seek your explicit consent for any third-party direct marketing communications
    sent to you via email or text.\""""
    customer(backend)
    for purpose in ("partner_marketing_email", "partner_marketing_sms"):
        assert not backend.allowed(purpose, "customer-1")
    backend.decide("customer-1", {"partner_marketing_email": "granted"})
    assert backend.allowed("partner_marketing_email", "customer-1")
    assert not backend.allowed("partner_marketing_sms", "customer-1")  # one channel does not imply the other


def test_consent_can_be_retracted_at_any_time(backend):
    """ "You can retract this consent at any time": at once, and the earlier consent stays on record."""
    subject_id = customer(backend, decisions={"partner_marketing_email": "granted"})
    backend.decide("customer-1", {"partner_marketing_email": "denied"})
    assert not backend.allowed("partner_marketing_email", "customer-1")
    assert methods(subject_id, "partner_marketing_email") == [("granted", "api"), ("withdrawn", "api")]


def test_the_link_at_the_bottom_of_any_email_stops_it(client, backend):
    """ "Look out for the link at the bottom of any messages we send you which will also put a stop
    to any messages" (email: one-click unsubscribe, RFC 8058)."""
    customer(backend, decisions={"partner_marketing_email": "granted"})
    headers = backend.get("subjects/customer-1/unsubscribe-headers", purpose="partner_marketing_email").json()
    url = headers["List-Unsubscribe"].strip("<>")
    assert client.post(path_of(url), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not backend.allowed("partner_marketing_email", "customer-1")


def test_text_messages_stop_by_link_or_by_reply(client, backend):
    """The same promise for text messages: a short link in the message, or a STOP reply."""
    subject_id = customer(backend, decisions={"partner_marketing_sms": "granted"})
    url = backend.get("subjects/customer-1/sms-opt-out-link", purpose="partner_marketing_sms").json()["url"]
    client.post(path_of(url))
    assert not backend.allowed("partner_marketing_sms", "customer-1")
    backend.decide("customer-2", {"partner_marketing_sms": "granted"})
    reply = backend.post("subjects/customer-2/sms-keyword", {"text": "Stop."})
    assert reply.json()["withdrawn"] == ["partner_marketing_sms"]
    assert not backend.allowed("partner_marketing_sms", "customer-2")
    assert methods(subject_id, "partner_marketing_sms")[-1] == ("withdrawn", Method.SMS_LINK)
    # A link for a purpose that is not a text message is refused, naming it.
    wrong = backend.get("subjects/customer-1/sms-opt-out-link", purpose="partner_marketing_email")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "sms.not_optional"


def test_our_own_offers_until_you_opt_out(client, backend, site):
    """ "You will be included in our marketing communications if you've ... engaged with our
    services, provided you haven't opted out of such communications.\""""
    subject_id = customer(backend)
    assert backend.allowed("our_offers_email", "customer-1")
    open_centre(client, site, subject_id)
    client.post(f"/preferences/{site.key}/object/our_offers_email")
    assert not backend.allowed("our_offers_email", "customer-1")


def test_notices_about_the_terms_cannot_be_unsubscribed(backend):
    """ "Opting out of marketing messages does not extend to ... transactional or service-related
    purposes": account and policy notices have no unsubscribe."""
    customer(backend)
    response = backend.get("subjects/customer-1/unsubscribe-headers", purpose="account_notices")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unsubscribe.not_optional"
    assert backend.allowed("account_notices", "customer-1")


def test_requests_answered_within_one_month(client, backend, site):
    """ "We aim to respond to all legitimate requests within one month. Complex or multiple requests
    may extend this timeframe.\""""
    open_centre(client, site, customer(backend))
    assert b"We answer within one month" in client.get(f"/preferences/{site.key}/").content
    client.post(f"/preferences/{site.key}/requests", {"kind": "erasure"})
    request = RightsRequest.objects.get()
    assert request.due_at == add_months(request.received_at, 1)
    extend_rights_request(request, "Several accounts to search.", months=2)
    assert request.due_at == add_months(request.received_at, 3)
    with pytest.raises(ConsentError):
        extend_rights_request(request, "Still more.", months=1)
    assert request.due_at - request.received_at > timedelta(days=85)
    assert mail.outbox == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_analytics_and_advertising_cookies_wait_for_a_yes(live_server, page):
    """Cookies beyond those that run the site (Google Analytics, Segment, advertising) are set only
    after the visitor agrees in the banner."""
    site = load("bizsoft")
    open_demo(page, live_server, site)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert optional_cookies(page, site) == []
    dialog.get_by_role("button", name="Accept all").click()
    assert wait_for(page, lambda: banner_states(site).get("analytics") == ("granted", Method.ACCEPT_ALL))
    page.wait_for_function("() => window.consent.get('analytics') === true")
    assert wait_for(page, lambda: optional_cookies(page, site) != [])
    assert ConsentEvent.objects.filter(site=site, purpose__key="advertising", decision="granted").count() == 1


def test_records_are_kept_six_years_and_the_choice_in_force_always(client, site):
    """ "Basic customer data ... six years": superseded consent records older than six years leave
    the ledger behind a signed checkpoint; younger ones and the choice in force stay; the ledger
    still verifies; the centre says how long records are kept."""
    assert site.retention_days == 6 * 365
    subject_id, result, left = walk_retention(site, kept_days=site.retention_days)
    assert result.events_removed == 2
    assert [decision for decision, _ in left] == ["granted", "withdrawn"]
    assert all(age < 6 * 365 for _, age in left)
    assert verify_ledger(site=site).ok
    html = open_centre(client, site, subject_id).content.decode()
    assert "Records of your choices are kept for 6 years after they are replaced" in html
