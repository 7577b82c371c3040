"""Each regime in a real browser, on the network demo site (seed 000), with the trusted geo header
set per page load: France gets the opt-in banner, California the opt-out link (and GPC or an
opt-out stops the advertising tags, which the GPP string says, in the page, in a cross-origin
frame and in the ledger), New York the site's notice; and a decision made on one host name is
honoured on the other."""

import json
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.cache import cache

from consent.models import ConsentEvent, Method, Site
from demo import network
from demo.loader import load_site
from tests.browser.test_banner import consent_events, count, open_page, ran, read, reload, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GEO = "X-Geo"
GPP_DECODER = Path(__file__).resolve().parents[2] / "static" / "consent" / "test" / "gpp-decode.js"
SALE = ("advertising", "third_party_sharing")  # the network's GPC-sensitive purposes


@pytest.fixture
def site(live_server, settings):
    settings.GEO_HEADER = GEO
    settings.GEO_REGION_HEADER = ""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    cache.clear()
    load_site(network.SITE)
    port = live_server.url.rsplit(":", 1)[1]
    site = Site.objects.get(key="network")
    site.allowed_origins = [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
    site.save()
    return site


def visit(page, live_server, place, host=None):
    page.set_extra_http_headers({GEO: place})
    base = live_server.url if host is None else live_server.url.replace("localhost", host)
    return open_page(page, f"{base}/demo/")


def gpp(page, command, parameter=None):
    return page.evaluate(
        "([c, p]) => new Promise((done) => window.__gpp(c, (value, ok) => done({value, ok}), p))", [command, parameter]
    )


def decode_gpp(gpp_string):
    """{section: {field: value}} as IAB's own library (@iabgpp/cmpapi, in node) reads the string."""
    out = subprocess.run(["node", str(GPP_DECODER), gpp_string], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def events(site, **filters):
    return read(
        lambda: list(ConsentEvent.objects.filter(site=site, **filters).values("purpose__key", "method", "evidence"))
    )


def test_france_gets_the_opt_in_banner_and_nothing_optional_runs(live_server, page, site):
    visit(page, live_server, "FR")
    page.get_by_role("dialog", name=network.SITE["banner"]["en"]["title"]).wait_for()
    assert ran(page) == []
    assert page.evaluate("window.consent.get('analytics')") is None
    assert page.locator("#consent-optout-link").count() == 0
    assert page.evaluate("typeof window.__gpp") == "undefined"


def test_california_opt_out_link_stops_advertising_and_gpp_says_so(live_server, page, site):
    visit(page, live_server, "US-CA")
    # No blocking banner; optional purposes the law lets run do, sensitive ones wait for opt-in.
    link = page.locator("#consent-optout-link")
    link.wait_for()
    assert link.inner_text() == "Do Not Sell or Share My Personal Information"
    assert page.get_by_role("dialog").count() == 0
    page.wait_for_function("() => (window.demoRan || []).includes('advertising')")
    assert set(ran(page)) >= {"analytics", "advertising"}
    assert page.evaluate("window.consent.get('precise_location')") is None
    assert page.evaluate("window.consent.get('ccpa_financial_incentives')") is None
    ping = gpp(page, "ping")["value"]
    assert ping["applicableSections"] == [8] and ping["sectionList"] == [7, 8]
    assert gpp(page, "getField", "usca.SaleOptOut")["value"] == 2  # did not opt out
    assert gpp(page, "getField", "usnat.Gpc")["value"] is False

    link.click()
    dialog = page.get_by_role("dialog", name="Your Privacy Choices")
    dialog.get_by_role("button", name="Opt out of sale and sharing").click()
    dialog.locator("#consent-optout-honored").wait_for()
    assert dialog.locator("#consent-optout-honored").inner_text() == "Opt-Out Request Honored"
    assert gpp(page, "getField", "usnat.SaleOptOut")["value"] == 1
    assert gpp(page, "getField", "usca.SharingOptOut")["value"] == 1
    gpp_string = gpp(page, "ping")["value"]["gppString"]
    # The ledger keeps the refusals with the GPP string the page was told.
    assert wait_for(page, lambda: len(events(site, method=Method.CUSTOM)) == len(SALE))
    recorded = events(site, method=Method.CUSTOM)
    assert {e["purpose__key"] for e in recorded} == set(SALE)
    assert {e["evidence"]["gpp"] for e in recorded} == {gpp_string}

    reload(page)
    page.locator("#consent-optout-link").wait_for()
    assert "analytics" in ran(page) and "advertising" not in ran(page)
    assert page.evaluate("window.consent.get('advertising')") is False
    assert gpp(page, "getField", "usca.SaleOptOut")["value"] == 1


def test_california_with_gpc_never_runs_advertising(live_server, browser, site):
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1", GEO: "US-CA"})
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    page = context.new_page()
    try:
        open_page(page, f"{live_server.url}/demo/")
        page.locator("#consent-optout-link").wait_for()
        page.wait_for_function("() => (window.demoRan || []).includes('analytics')")
        assert "advertising" not in ran(page)
        assert page.evaluate("window.consent.get('advertising')") is False
        assert wait_for(page, lambda: {e["purpose__key"] for e in events(site, method=Method.GPC)} >= set(SALE))
        # The first visit's refusal carries the GPP string with the signal and the opt-outs.
        strings = {e["evidence"].get("gpp") for e in events(site, method=Method.GPC)}
        assert len(strings) == 1 and None not in strings
        sections = decode_gpp(strings.pop())
        assert set(sections) == {"usnat", "usca"}
        for fields in sections.values():
            assert fields["Gpc"] is True
            assert fields["SaleOptOut"] == fields["SharingOptOut"] == 1
        assert sections["usnat"]["TargetedAdvertisingOptOut"] == 1
        assert gpp(page, "getField", "usnat.Gpc")["value"] is True
        assert gpp(page, "getField", "usca.Gpc")["value"] is True
        assert gpp(page, "getField", "usnat.SaleOptOut")["value"] == 1
        page.locator("#consent-optout-link").click()
        assert page.locator("#consent-optout-honored").inner_text() == "Opt-Out Request Honored"
        ad_storage = [e[2].get("ad_storage") for e in consent_events(page) if e[1] == "update"]
        assert ad_storage and ad_storage[-1] == "denied"
    finally:
        context.close()


@pytest.mark.parametrize(("place", "name", "section_id"), [("US-TX", "ustx", 16), ("US-MD", "usmd", 24)])
def test_other_states_get_their_own_gpp_section(live_server, page, site, place, name, section_id):
    visit(page, live_server, place)
    link = page.locator("#consent-optout-link")
    link.wait_for()
    ping = gpp(page, "ping")["value"]
    assert ping["applicableSections"] == [section_id] and ping["sectionList"] == [7, section_id]
    assert gpp(page, "hasSection", name)["value"] is True
    assert gpp(page, "getField", f"{name}.SaleOptOut")["value"] == 2
    assert gpp(page, "getField", f"{name}.Gpc")["value"] is False

    link.click()
    dialog = page.get_by_role("dialog", name="Your Privacy Choices")
    dialog.get_by_role("button", name="Opt out of sale and sharing").click()
    dialog.locator("#consent-optout-honored").wait_for()
    assert gpp(page, "getField", f"{name}.SaleOptOut")["value"] == 1
    assert gpp(page, "getField", f"{name}.TargetedAdvertisingOptOut")["value"] == 1
    gpp_string = gpp(page, "ping")["value"]["gppString"]
    assert len(gpp_string.split("~")) == 3  # header, usnat, the state's section
    assert wait_for(page, lambda: len(events(site, method=Method.CUSTOM)) == len(SALE))
    assert {e["evidence"]["gpp"] for e in events(site, method=Method.CUSTOM)} == {gpp_string}


# Runs in the ad slot's frame: finds the window holding the __gppLocator frame and calls __gpp
# there by postMessage, as a vendor's script in a cross-origin frame does.
FRAME_GPP = """async ([calls, listen]) => {
    let cmp = null;
    for (let w = window.parent; !cmp; w = w.parent) {
        if (w.frames.__gppLocator) cmp = w;
        else if (w === window.top) break;
    }
    if (!cmp) return null;
    const call = (command, parameter, callId) => new Promise((done) => {
        const answer = (e) => {
            const r = e.data && e.data.__gppReturn;
            if (r && r.callId === callId) done(r);
        };
        window.addEventListener("message", answer);
        cmp.postMessage({__gppCall: {command, parameter, version: "1.1", callId}}, "*");
    });
    const out = [];
    for (const [command, parameter] of calls) out.push(await call(command, parameter, "call-" + out.length));
    if (listen) {
        window.gppEvents = [];
        window.addEventListener("message", (e) => {
            const r = e.data && e.data.__gppReturn;
            if (r && r.callId === "listener") window.gppEvents.push(r.returnValue);
        });
        cmp.postMessage({__gppCall: {command: "addEventListener", version: "1.1", callId: "listener"}}, "*");
    }
    return out;
}"""


def test_a_cross_origin_frame_calls_gpp_through_the_locator(live_server, browser, site):
    # The ad slot is served from the other loopback name, so the frame is cross-origin; the test
    # adds it to the demo page, whose CSP allows no frames from there (bypassed for the test).
    slot = live_server.url.replace("localhost", "127.0.0.1") + "/ad-slot/"
    context = browser.new_context(bypass_csp=True, extra_http_headers={GEO: "US-CA"})
    context.route(slot, lambda route: route.fulfill(content_type="text/html", body="<!doctype html><p>Ad slot</p>"))
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        open_page(page, f"{live_server.url}/demo/")
        page.locator("#consent-optout-link").wait_for()
        assert page.locator("iframe[name=__gppLocator]").count() == 1
        page.evaluate(
            "(src) => new Promise((done) => { const f = document.createElement('iframe');"
            " f.src = src; f.title = 'Ad slot'; f.onload = done; document.body.append(f); })",
            slot,
        )
        frame = page.frame(url=slot)
        # Cross-origin: the frame cannot reach the page's __gpp directly.
        assert frame.evaluate("() => { try { return typeof parent.__gpp } catch (e) { return e.name } }") == (
            "SecurityError"
        )
        calls = [["ping"], ["hasSection", "usca"], ["hasSection", "usva"], ["getField", "usca.SaleOptOut"]]
        ping, usca, usva, sale = frame.evaluate(FRAME_GPP, [calls, True])
        assert ping["success"] is True and ping["returnValue"]["gppVersion"] == "1.1"
        assert ping["returnValue"]["cmpStatus"] == "loaded"
        assert ping["returnValue"]["sectionList"] == [7, 8]
        assert ping["returnValue"]["gppString"] == gpp(page, "ping")["value"]["gppString"]
        assert (usca["returnValue"], usva["returnValue"], sale["returnValue"]) == (True, False, 2)
        assert decode_gpp(ping["returnValue"]["gppString"])["usca"]["SaleOptOut"] == 2

        # The frame's listener (registered by postMessage) hears of the opt-out made in the page.
        frame.wait_for_function("() => window.gppEvents.some((e) => e.eventName === 'listenerRegistered')")
        page.locator("#consent-optout-link").click()
        dialog = page.get_by_role("dialog", name="Your Privacy Choices")
        dialog.get_by_role("button", name="Opt out of sale and sharing").click()
        frame.wait_for_function("() => window.gppEvents.some((e) => e.eventName === 'sectionChange')")
        change = frame.evaluate("() => window.gppEvents.find((e) => e.eventName === 'sectionChange')")
        assert decode_gpp(change["pingData"]["gppString"])["usca"]["SaleOptOut"] == 1
        [field] = frame.evaluate(FRAME_GPP, [[["getField", "usnat.SaleOptOut"]], False])
        assert field == {"returnValue": 1, "success": True, "callId": "call-0"}
    finally:
        context.close()


def test_a_place_without_a_law_gets_the_sites_notice(live_server, page, browser, site):
    visit(page, live_server, "US-NY")
    notice = page.locator("#consent-notice")
    notice.wait_for()
    assert page.get_by_role("dialog").count() == 0
    page.wait_for_function("() => (window.demoRan || []).includes('advertising')")
    notice.get_by_role("button", name="OK").click()
    assert page.locator("#consent-notice").count() == 0
    reload(page)
    assert page.locator("#consent-notice").count() == 0
    assert count(ConsentEvent, site=site) == 0  # a notice asks nothing, so records nothing

    # A site that shows nothing: a new visitor (fresh browser cache) gets no notice at all.
    site.regime_settings = {**site.regime_settings, "notice": {"display": "none"}}
    site.save()
    context = browser.new_context()
    try:
        fresh = context.new_page()
        visit(fresh, live_server, "US-NY")
        fresh.wait_for_function("() => (window.demoRan || []).includes('analytics')")
        assert fresh.locator("#consent-notice").count() == 0
        assert fresh.evaluate("document.getElementById('consent-regime') === null")
    finally:
        context.close()


def test_decision_on_one_host_is_honoured_on_the_other(live_server, page, site):
    visit(page, live_server, "FR")
    page.get_by_role("button", name="Reject all").click()
    assert wait_for(page, lambda: count(ConsentEvent, site=site, method=Method.REJECT_ALL) > 0)
    sibling = page.locator("a.sibling")
    assert sibling.count() == 1 and "127.0.0.1" in sibling.get_attribute("href")
    with page.expect_navigation():
        sibling.click()
    page.wait_for_function("() => window.consentEvents && window.consentEvents.ready")
    assert page.url.startswith(live_server.url.replace("localhost", "127.0.0.1"))
    assert "_cst" not in page.url  # the token left the address bar
    assert page.get_by_role("dialog").count() == 0  # no banner: the decision came along
    assert page.evaluate("window.consent.get('analytics')") is False
    assert ran(page) == []
    carried = wait_for(page, lambda: events(site, method=Method.CROSS_DOMAIN))
    assert carried and all(e["evidence"]["from_origin"] == live_server.url for e in carried)
    cookie = next(c for c in page.context.cookies() if c["name"] == "consent_network" and c["domain"] == "127.0.0.1")
    stored = json.loads(unquote(cookie["value"]))
    assert stored["m"] == "cross_domain"


def opted_out_cookie(live_server, days_ago):
    """The banner's cookie of a Californian who opted out of sale and sharing `days_ago` days ago."""
    stored = {
        "v": "v-reask",
        "b": 1,
        "p": 1,
        "d": dict.fromkeys(SALE, 0),
        "t": (time.time() - days_ago * 86400) * 1000,
        "m": "custom",
    }
    return {"name": "consent_network", "value": json.dumps(stored), "url": live_server.url}


def test_opt_out_is_not_asked_again_before_twelve_months(live_server, page, site):
    page.context.add_cookies([opted_out_cookie(live_server, 300)])
    visit(page, live_server, "US-CA")
    page.locator("#consent-optout-link").wait_for()
    page.wait_for_function("() => (window.demoRan || []).includes('analytics')")
    assert page.get_by_role("dialog").count() == 0
    assert "advertising" not in ran(page)


def test_after_the_reask_time_the_opt_out_stands_and_is_asked_once(live_server, page, site):
    page.context.add_cookies([opted_out_cookie(live_server, 366)])
    visit(page, live_server, "US-CA")
    dialog = page.get_by_role("dialog", name="Your Privacy Choices")
    dialog.wait_for()
    assert dialog.locator("#consent-optout-honored").count() == 1
    assert "advertising" not in ran(page)  # an old opt-out does not lapse
    dialog.get_by_role("button", name="Close").click()
    assert wait_for(page, lambda: {e["purpose__key"] for e in events(site, method=Method.DISMISS)} == set(SALE))
    reload(page)
    page.locator("#consent-optout-link").wait_for()
    assert page.get_by_role("dialog").count() == 0
    assert "advertising" not in ran(page)
