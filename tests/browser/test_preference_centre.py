"""A person walks the preference centre in a real browser; the ledger on the server is checked."""

import json

import pytest

from consent.models import ConsentEvent, RightsRequest
from features.centre.preferences import make_preference_link
from tests.browser.conftest import axe_violations
from tests.people import make_user

pytestmark = pytest.mark.browser


def latest(subject_id, purpose):
    return ConsentEvent.objects.filter(subject_id=subject_id, purpose__key=purpose).order_by("-seq").first()


def test_walk_the_preference_centre(live_server, page, site, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    subject = make_user(site, decisions={"analytics": "granted"})
    link, _ = make_preference_link(site, subject)

    page.goto(link)
    assert "link=" not in page.url  # the token left the address bar
    assert page.locator("h1").inner_text() == "Your privacy preferences"
    assert page.locator("html").get_attribute("lang") == "en"
    assert axe_violations(page) == []

    # Grant one consent and withdraw another, with the keyboard-reachable form controls.
    page.get_by_role("group", name="Advertising").get_by_label("Allow", exact=True).check()
    page.get_by_role("group", name="Analytics").get_by_label("Do not allow").check()
    page.get_by_role("button", name="Save my choices").click()
    assert "Your choices were saved." in page.get_by_role("status").first.inner_text()
    ads, analytics = latest(subject, "advertising"), latest(subject, "analytics")
    assert (ads.decision, ads.method) == ("granted", "preference_centre")
    assert (analytics.decision, analytics.method) == ("withdrawn", "preference_centre")
    assert ads.receipt_id == analytics.receipt_id
    assert page.get_by_role("group", name="Advertising").get_by_label("Allow", exact=True).is_checked()

    # One-click objection to a legitimate-interest purpose.
    page.get_by_role("button", name="Object to Surveys").click()
    assert latest(subject, "surveys").decision == "denied"
    assert page.get_by_role("button", name="Withdraw my objection to Surveys").is_visible()

    # The history lists every decision; the download carries the same records.
    assert page.locator("#history ~ .table-wrap tbody tr").count() == 4
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as JSON").click()
    records = json.loads(open(download.value.path()).read())
    assert [(h["purpose"], h["state"]) for h in records["history"]][-1] == ("surveys", "denied")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    assert open(download.value.path()).read().startswith("recorded_at,purpose,vendor,state")

    # A rights request, then the French version of the page.
    page.get_by_label("Erase my data").check()
    page.get_by_label("Details (optional)").fill("Please erase my account data.")
    page.get_by_role("button", name="Send my request").click()
    request = RightsRequest.objects.get(subject_id=subject)
    assert (request.kind, request.status) == ("erasure", "open")
    assert "We will answer by" in page.get_by_role("status").first.inner_text()

    page.get_by_role("link", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Vos préférences de confidentialité"
    assert axe_violations(page) == []

    page.get_by_role("button", name="Tout retirer").click()
    assert latest(subject, "advertising").decision == "withdrawn"
    assert ConsentEvent.objects.filter(subject_id=subject, method="preference_centre").count() == 4


def test_a_tampered_link_shows_a_clear_page(live_server, page, site, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    subject = make_user(site)
    link, _ = make_preference_link(site, subject)
    response = page.goto(link[:-4] + "abcd")
    assert response.status == 400
    assert page.locator("h1").inner_text() == "This link is not valid"
    assert "Analytics" not in page.content()
