"""IAB TCF in a real browser: the demo page's vendor tag reads __tcfapi in the page and, through
the locator frame and postMessage, from a cross-origin frame; every TC string Chromium produced
is decoded with IAB's own library (@iabtechlabtcf/core, in node) and compared with the choices
made; and the string is in the ledger."""

import json
import subprocess
from pathlib import Path

import pytest

from consent.models import ConsentEvent
from cookies.tcf import load_gvl
from tests.browser.conftest import axe_violations
from tests.browser.test_banner import read, wait_for
from tests.cookies.tcf_helpers import CMP_ID, VENDORS, gvl_data, make_tcf_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECODER = Path(__file__).resolve().parents[2] / "static" / "consent" / "test" / "tcf-decode.js"
ROOT = "#consent-ui"
STATUS = "#vendor-status"


def decode(tc_string):
    """The string's fields as IAB's library reads them."""
    out = subprocess.run(["node", str(DECODER), tc_string], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def tc_data(page):
    return page.evaluate("() => new Promise((ok) => __tcfapi('getTCData', 2, (d) => ok(d)))")


@pytest.fixture
def demo(live_server, settings, page):
    settings.TCF_CMP_ID = CMP_ID
    settings.TCF_CMP_VERSION = 2
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    site = make_tcf_site(key="tcf")
    base = live_server.url.replace("localhost", "127.0.0.1")
    page.goto(f"{base}/demo/tcf/")
    page.locator(f"{ROOT} .b [data-tcf=first]").wait_for()
    return site, page


def frame_status(page):
    return page.frame_locator("#ad-frame").locator(STATUS)


def ledger_strings(site):
    return read(lambda: {e.evidence.get("tcf", {}).get("tc_string") for e in ConsentEvent.objects.filter(site=site)})


def test_before_the_choice_vendors_see_the_ui_shown_and_no_consent(demo):
    site, page = demo
    first = page.locator(f"{ROOT} .b [data-tcf=first]")
    assert f"our {len(VENDORS)} partners" in first.inner_text()
    assert "Store and/or access information on a device" in first.inner_text()
    assert "Use precise geolocation data" in first.inner_text()  # special feature, opt-in
    assert axe_violations(page, ROOT) == []
    ping = page.evaluate("() => new Promise((ok) => __tcfapi('ping', 2, (p) => ok(p)))")
    assert (ping["cmpLoaded"], ping["gdprApplies"], ping["cmpId"], ping["displayStatus"]) == (
        True,
        True,
        CMP_ID,
        "visible",
    )
    data = tc_data(page)
    assert (data["eventStatus"], data["tcString"], data["vendor"]["consents"]["755"]) == ("cmpuishown", "", False)
    page.wait_for_function("() => document.querySelector('#vendor-status').dataset.event === 'cmpuishown'")
    assert page.locator(STATUS).get_attribute("data-state") == "waiting"
    frame = frame_status(page)
    frame.and_(page.frame_locator("#ad-frame").locator("[data-event=cmpuishown]")).wait_for()
    assert frame.get_attribute("data-state") == "waiting" and frame.get_attribute("data-gdpr") == "true"
    assert ledger_strings(site) == set()


def test_accept_all_lets_the_tag_run_in_the_page_and_the_frame_and_the_string_is_in_the_ledger(demo):
    site, page = demo
    page.locator(f"{ROOT} .b [data-a=accept]").click()
    page.locator(f"{STATUS}[data-state=ran]").wait_for()
    frame = page.frame_locator("#ad-frame").locator(f"{STATUS}[data-state=ran]")
    frame.wait_for()
    data = tc_data(page)
    assert data["eventStatus"] == "useractioncomplete" and data["addtlConsent"] == "2~89.1097~dv."
    tc = data["tcString"]
    assert frame.get_attribute("data-tc") == tc == page.locator(STATUS).get_attribute("data-tc")
    d = decode(tc)
    assert (d["segments"], d["cmpId"], d["cmpVersion"], d["isServiceSpecific"], d["policyVersion"]) == (
        3,
        CMP_ID,
        2,
        True,
        5,
    )
    assert d["created"] == d["lastUpdated"] and d["created"].endswith("T00:00:00.000Z")
    assert (d["consentLanguage"], d["publisherCountryCode"], d["vendorListVersion"]) == ("EN", "FR", 120)
    assert d["purposeConsents"] == [1, 2, 3, 4, 7, 9, 10]
    assert d["purposeLegitimateInterests"] == [2, 7, 8, 10]
    assert d["vendorConsents"] == VENDORS and d["vendorLegitimateInterests"] == VENDORS
    assert d["vendorsDisclosed"] == VENDORS and d["specialFeatureOptins"] == [1]
    assert d["publisherRestrictions"] == [{"purpose": 2, "type": 1, "vendors": [2, 755]}]
    assert (d["publisherConsents"], d["numCustomPurposes"], d["publisherCustomConsents"]) == ([1, 7], 2, [1, 2])
    assert wait_for(page, lambda: ledger_strings(site) == {tc})
    # The next page load reads the stored choice: tcloaded, the same string, the tag runs at once.
    page.reload()
    page.locator(f"{STATUS}[data-event=tcloaded][data-state=ran]").wait_for()
    assert tc_data(page)["tcString"] == tc
    page.frame_locator("#ad-frame").locator(f"{STATUS}[data-event=tcloaded][data-state=ran]").wait_for()


def test_reject_all_keeps_the_tag_from_running_and_objects_to_legitimate_interest(demo):
    site, page = demo
    page.locator(f"{ROOT} .b [data-a=reject]").click()
    page.locator(f"{STATUS}[data-state=blocked]").wait_for()
    page.frame_locator("#ad-frame").locator(f"{STATUS}[data-state=blocked]").wait_for()
    data = tc_data(page)
    d = decode(data["tcString"])
    assert d["purposeConsents"] == [] and d["vendorConsents"] == [] and d["specialFeatureOptins"] == []
    assert d["purposeLegitimateInterests"] == [] and d["vendorLegitimateInterests"] == []
    assert d["vendorsDisclosed"] == VENDORS and d["publisherCustomConsents"] == []
    assert data["addtlConsent"] == "2~~dv.89.1097"
    assert wait_for(page, lambda: ledger_strings(site) == {data["tcString"]})


def test_custom_choices_per_purpose_and_vendor_are_what_the_string_says(demo):
    site, page = demo
    page.locator(f"{ROOT} .b [data-tcf=partners]").click()
    section = page.locator(f"{ROOT} .m [data-tcf=prefs]")
    section.wait_for()
    assert f"Partners ({len(VENDORS)})" in section.inner_text()
    section.locator("[data-tcf=vendors] > summary").click()
    for vendor_id in (2, 8):
        section.locator(f"[data-vendor='{vendor_id}'] > summary").click()
    vendor = section.locator("[data-vendor='755']")
    vendor.locator("summary").click()
    details = vendor.inner_text()
    assert "Data retention: 390 days" in details and "Privacy policy" in details
    assert vendor.locator("a").get_attribute("href") == "https://vendor755.example/privacy"
    assert axe_violations(page, ROOT) == []
    page.locator(f"{ROOT} #p-analytics").check()
    for box in ("#tcf-pc-1", "#tcf-pc-3", "#tcf-pc-4", "#tcf-vc-755", "#tcf-vc-8"):
        page.locator(f"{ROOT} {box}").check()
    for box in ("#tcf-pl-8", "#tcf-vl-2"):  # object to a purpose's and a vendor's legitimate interest
        page.locator(f"{ROOT} {box}").uncheck()
    page.locator(f"{ROOT} .m [data-a=save]").click()
    page.locator(f"{STATUS}[data-state=ran]").wait_for()
    data = tc_data(page)
    d = decode(data["tcString"])
    assert d["consentScreen"] == 2
    assert d["purposeConsents"] == [1, 3, 4]
    assert d["purposeLegitimateInterests"] == [2, 7, 10]
    assert d["vendorConsents"] == [8, 755]
    assert d["vendorLegitimateInterests"] == [8, 28, 755]
    assert d["specialFeatureOptins"] == []
    assert (d["publisherConsents"], d["publisherCustomConsents"]) == ([1], [1])
    assert data["addtlConsent"] == "2~~dv.89.1097"
    assert wait_for(page, lambda: ledger_strings(site) == {data["tcString"]})
    # Withdrawal is as easy: reopen, refuse everything.
    page.locator("[data-consent-open]").click()
    page.locator(f"{ROOT} .m [data-tcf=prefs]").wait_for()
    assert page.locator(f"{ROOT} #tcf-vc-755").is_checked()
    page.locator(f"{ROOT} .m [data-a=reject]").click()
    page.locator(f"{STATUS}[data-state=blocked]").wait_for()
    assert decode(tc_data(page)["tcString"])["vendorConsents"] == []


def test_a_gvl_version_that_gives_a_chosen_vendor_more_purposes_asks_again(demo):
    site, page = demo
    page.locator(f"{ROOT} .b [data-a=accept]").click()
    page.locator(f"{STATUS}[data-state=ran]").wait_for()
    data = gvl_data()
    data["vendorListVersion"] = 121
    data["vendors"]["28"]["purposes"].append(4)
    read(lambda: load_gvl(data))
    # The browser may keep the embed 5 minutes; this test wants the next one at once.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.reload()
    page.locator(f"{ROOT} .m [data-tcf=prefs]").wait_for()
    assert tc_data(page)["eventStatus"] == "cmpuishown"
    page.locator(f"{ROOT} .m [data-a=accept]").click()
    page.locator(f"{STATUS}[data-event=useractioncomplete][data-state=ran]").wait_for()
    d = decode(tc_data(page)["tcString"])
    assert d["vendorListVersion"] == 121 and 4 in d["purposeConsents"]
