"""The embedded banner in a real browser, checked on the page and in the ledger on the server.

Each test creates its own site with a published banner, opens the platform's demo host page
for it (served under a strict CSP) or a page of another origin, and drives the banner.

Over 400 lines on purpose: one browser session setup shared by every banner scenario; each test
stays short.
"""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from consent.models import ConsentEvent, ConsentState, DecisionReceipt, LegalBasis, PolicyVersion, Purpose, Site
from cookies.models import CookieDeclaration, ObservedCookie
from cookies.services import publish_banner
from tests.browser.conftest import axe_violations
from tests.live import read, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "shop"
TEXTS = {
    "en": {
        "title": "Your privacy at Shop",
        "body": "We use essential cookies to run the shop and, with your consent, cookies to measure and advertise.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "choose": "Choose",
        "save": "Save my choices",
        "close": "Close",
    },
    "fr": {
        "title": "Votre vie privée chez Shop",
        "body": "Nous utilisons des cookies essentiels et, avec votre accord, de mesure et de publicité.",
        "accept_all": "Tout accepter",
        "reject_all": "Tout refuser",
        "choose": "Personnaliser",
        "save": "Enregistrer",
        "close": "Fermer",
    },
}


@pytest.fixture
def shop(live_server):
    site = Site.objects.create(
        key=KEY,
        name="Shop",
        languages=["en", "fr"],
        policy_url="https://shop.example/privacy",
        consent_mode={
            "essential": ["security_storage"],
            "analytics": ["analytics_storage"],
            "advertising": ["ad_storage", "ad_user_data", "ad_personalization"],
        },
    )
    essential = Purpose.objects.create(
        site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT, position=0
    )
    analytics = Purpose.objects.create(
        site=site, key="analytics", position=1, translations={"en": {"name": "Audience measurement"}}
    )
    ads = Purpose.objects.create(site=site, key="advertising", gpc_sensitive=True, position=2)
    Purpose.objects.create(site=site, key="newsletter", kind="communication", position=3)
    for name, purpose in (
        ("sessionid", essential),
        ("_demo_analytics", analytics),
        ("_demo_a_*", analytics),
        ("_demo_ads", ads),
    ):
        CookieDeclaration.objects.create(site=site, name=name, purpose=purpose)
    now = timezone.now()
    PolicyVersion.objects.create(site=site, version=1, published_at=now, effective_at=now)
    publish_banner(site, TEXTS)
    return site


# The runtime dispatches consent:ready once started (banner shown if it had to be) and
# consent:activated each time it has run what the current choice allows; tests wait for these
# instead of sleeping.
EVENTS = """if (!window.consentEvents) {
    window.consentEvents = {ready: 0, activated: 0};
    document.addEventListener("consent:ready", () => window.consentEvents.ready++);
    document.addEventListener("consent:activated", () => window.consentEvents.activated++);
}"""


def open_page(page, url):
    page.add_init_script(EVENTS)
    response = page.goto(url)
    loaded(page)
    return response


def loaded(page):
    """Wait until the runtime has started and run its first activation on this page load."""
    page.wait_for_function("() => window.consentEvents && window.consentEvents.ready && window.consentEvents.activated")


def reload(page):
    page.reload()
    loaded(page)


def next_activation(page):
    """A function that waits for the activation round after now to finish."""
    before = page.evaluate("window.consentEvents.activated")
    return lambda: page.wait_for_function(f"() => window.consentEvents.activated > {before}")


def demo(page, live_server):
    return open_page(page, f"{live_server.url}/demo/{KEY}/")


def states(site):
    rows = ConsentState.objects.filter(subject__site=site, vendor=None).select_related("purpose")
    return read(lambda: {s.purpose.key: (s.state, s.method) for s in rows.all()})


def count(model, **filters):
    return read(lambda: model.objects.filter(**filters).count())


def cookies(page):
    return {c["name"]: c for c in page.context.cookies()}


def ran(page):
    return page.evaluate("window.demoRan || []")


def consent_events(page):
    return [
        entry
        for entry in page.evaluate("Array.from(window.dataLayer || [], (e) => Array.from(e))")
        if entry and entry[0] == "consent"
    ]


def test_before_consent_only_essential_and_nothing_gated(live_server, page, shop):
    demo(page, live_server)
    dialog = page.get_by_role("dialog", name="Your privacy at Shop")
    dialog.wait_for()
    assert "Closing this banner refuses all optional cookies." in dialog.inner_text()
    assert ran(page) == []
    assert not [name for name in cookies(page) if name.startswith("_demo")]
    assert page.locator("#partner-frame").get_attribute("src") is None
    assert page.locator("#pixel").get_attribute("src").endswith("/blank.gif")  # the placeholder, not the pixel
    assert page.evaluate("window.consent.get('analytics')") is None
    assert page.evaluate("window.consent.get('essential')") is True
    # Consent Mode default: everything denied except what essential purposes map to.
    default = consent_events(page)[0]
    assert default[1] == "default"
    assert default[2]["analytics_storage"] == "denied" and default[2]["ad_storage"] == "denied"
    assert default[2]["security_storage"] == "granted" and default[2]["wait_for_update"] == 500
    # Accept and reject are equally prominent: same size and style.
    accept, reject = dialog.get_by_role("button", name="Accept all"), dialog.get_by_role("button", name="Reject all")
    style = "(e) => { const s = getComputedStyle(e); return [s.backgroundColor, s.color, s.fontSize, s.fontWeight]; }"
    assert accept.evaluate(style) == reject.evaluate(style)
    a, r = accept.bounding_box(), reject.bounding_box()
    assert (round(a["width"]), round(a["height"])) == (round(r["width"]), round(r["height"]))
    assert count(ConsentEvent, site=shop) == 0


def test_reject_all(live_server, page, shop):
    demo(page, live_server)
    page.get_by_role("button", name="Reject all").click()
    assert wait_for(page, lambda: len(states(shop)) == 2)
    assert states(shop) == {"analytics": ("denied", "reject_all"), "advertising": ("denied", "reject_all")}
    assert count(DecisionReceipt, site=shop) == 1
    stored = json.loads(page.evaluate("decodeURIComponent(document.cookie.match(/consent_shop=([^;]*)/)[1])"))
    assert stored["d"] == {"analytics": 0, "advertising": 0} and stored["p"] == 1 and stored["b"] == 1
    assert cookies(page)["consent_shop"]["expires"] > time.time() + 179 * 86400
    reload(page)
    assert page.get_by_role("dialog").count() == 0
    assert ran(page) == []
    assert count(ConsentEvent, site=shop) == 2


def test_accept_all(live_server, page, shop):
    demo(page, live_server)
    page.evaluate(
        "window.changes = []; document.addEventListener('consent:change', (e) => window.changes.push(e.detail));"
        "window.consent.on('change', (d) => window.changes.push({api: d}));"
    )
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => (window.demoRan || []).length == 2")
    assert ran(page) == ["analytics", "advertising"]  # document order
    assert {"_demo_analytics", "_demo_a_demo", "_demo_ads"} <= set(cookies(page))
    page.wait_for_function("() => document.querySelector('#partner-frame').src.endsWith('/demo/_frame/')")
    page.frame_locator("#partner-frame").locator("#frame-loaded").wait_for(state="visible", timeout=5000)
    assert page.locator("#pixel").get_attribute("src").endswith("pixel.gif")
    update = consent_events(page)[-1]
    assert (
        update[1] == "update" and update[2]["analytics_storage"] == "granted" and update[2]["ad_storage"] == "granted"
    )
    changes = page.evaluate("window.changes")
    assert changes[0]["api"] == {"essential": True, "analytics": True, "advertising": True}
    assert changes[1]["decisions"]["analytics"] is True and changes[1]["method"] == "accept_all"
    assert wait_for(page, lambda: len(states(shop)) == 2)
    assert states(shop) == {"analytics": ("granted", "accept_all"), "advertising": ("granted", "accept_all")}
    # The newsletter (a communication) is not asked in the banner.
    assert not ConsentEvent.objects.filter(site=shop, purpose__key="newsletter").exists()
    page.reload()
    page.wait_for_function("() => (window.demoRan || []).length == 2")
    assert page.get_by_role("dialog").count() == 0


def test_choose(live_server, page, shop):
    demo(page, live_server)
    page.get_by_role("button", name="Choose").click()
    prefs = page.get_by_role("dialog", name="Privacy preferences")
    essential = prefs.get_by_role("checkbox", name="Essential")
    assert essential.is_checked() and essential.is_disabled()
    assert "Always on" in prefs.inner_text()
    prefs.get_by_role("checkbox", name="Audience measurement").check()
    activated = next_activation(page)
    prefs.get_by_role("button", name="Save my choices").click()
    activated()
    assert ran(page) == ["analytics"]
    assert "_demo_ads" not in cookies(page)
    assert page.locator("#partner-frame").get_attribute("src") is None
    assert wait_for(page, lambda: len(states(shop)) == 2)
    assert states(shop) == {"analytics": ("granted", "custom"), "advertising": ("denied", "custom")}


def test_withdraw_deletes_declared_cookies(live_server, page, shop):
    sent = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/decisions") else None)
    demo(page, live_server)
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => (window.demoRan || []).length == 2")
    assert wait_for(page, lambda: len(states(shop)) == 2)
    page.get_by_role("link", name="Privacy choices").click()
    prefs = page.get_by_role("dialog", name="Privacy preferences")
    toggle = prefs.get_by_role("checkbox", name="Audience measurement")
    assert toggle.is_checked()
    toggle.uncheck()
    prefs.get_by_role("button", name="Save my choices").click()
    names = set(cookies(page))
    assert "_demo_analytics" not in names and "_demo_a_demo" not in names
    assert "_demo_ads" in names  # still granted
    assert page.locator("#consent-ui .n").inner_text().startswith("Your withdrawal is saved. Reload the page")
    assert page.evaluate("window.consent.get('analytics')") is False
    assert wait_for(page, lambda: states(shop).get("analytics") == ("withdrawn", "custom"))
    events = ConsentEvent.objects.filter(site=shop, purpose__key="analytics").order_by("seq")
    history = read(lambda: list(events.values_list("decision", flat=True)))
    assert history == ["granted", "withdrawn"]
    # The second decision says the banner holds an earlier one: the server looks the visitor up first.
    assert [body.get("returning") for body in sent] == [None, True]


def test_global_privacy_control(live_server, browser, shop):
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    page = context.new_page()
    try:
        demo(page, live_server)
        # Denied without asking, recorded with method gpc.
        assert wait_for(page, lambda: states(shop).get("advertising") == ("denied", "gpc"))
        assert page.evaluate("window.consent.get('advertising')") is False
        # The remaining purpose is still asked.
        page.get_by_role("button", name="Choose").click()
        prefs = page.get_by_role("dialog", name="Privacy preferences")
        assert "Global Privacy Control signal honoured" in prefs.inner_text()
        ads = prefs.get_by_role("checkbox", name="Advertising")
        assert ads.is_disabled() and not ads.is_checked()
        prefs.get_by_role("button", name="Accept all").click()
        page.wait_for_function("() => (window.demoRan || []).length == 1")
        assert ran(page) == ["analytics"]
        assert wait_for(page, lambda: states(shop).get("analytics") == ("granted", "accept_all"))
        assert states(shop)["advertising"] == ("denied", "gpc")
        assert count(ConsentEvent, site=shop, purpose__key="advertising") == 1
        event = read(lambda: ConsentEvent.objects.get(site=shop, purpose__key="advertising"))
        assert event.evidence.get("gpc") is True
    finally:
        context.close()


def test_decision_made_offline_is_recorded_once_when_api_returns(live_server, page, shop):
    page.route("**/api/v1/sites/shop/decisions", lambda route: route.abort())
    demo(page, live_server)
    page.get_by_role("button", name="Accept all").click()
    # Applied at once in the browser, kept for later on the server.
    page.wait_for_function("() => (window.demoRan || []).length == 2")
    assert page.evaluate("JSON.parse(localStorage.getItem('consent_shop_queue')).length") == 1
    with page.expect_event("requestfailed", lambda request: request.url.endswith("/decisions")):
        page.reload()  # still unreachable: kept across page loads, and tried again on load
    assert page.evaluate("JSON.parse(localStorage.getItem('consent_shop_queue')).length") == 1
    assert count(DecisionReceipt, site=shop) == 0
    page.unroute("**/api/v1/sites/shop/decisions")
    # The backoff retry delivers it.
    assert wait_for(page, lambda: count(DecisionReceipt, site=shop) == 1)
    page.wait_for_function("() => JSON.parse(localStorage.getItem('consent_shop_queue')).length == 0")
    reload(page)  # nothing left to send: the load posts nothing (a post is queued before it is sent)
    assert page.evaluate("JSON.parse(localStorage.getItem('consent_shop_queue')).length") == 0
    assert count(DecisionReceipt, site=shop) == 1
    assert count(ConsentEvent, site=shop) == 2
    assert states(shop) == {"analytics": ("granted", "accept_all"), "advertising": ("granted", "accept_all")}


def test_server_error_keeps_the_decision_until_acknowledged(live_server, page, shop):
    calls = []

    def fail_twice(route):
        calls.append(1)
        if len(calls) <= 2:
            route.fulfill(status=503, body="{}", headers={"Access-Control-Allow-Origin": "*"})
        else:
            route.continue_()

    page.route("**/api/v1/sites/shop/decisions", fail_twice)
    demo(page, live_server)
    page.get_by_role("button", name="Reject all").click()
    assert wait_for(page, lambda: count(DecisionReceipt, site=shop) == 1)
    assert len(calls) == 3
    assert count(ConsentEvent, site=shop, method="reject_all") == 2


FOCUSED = """() => {
    const e = document.querySelector('#consent-ui').shadowRoot.activeElement;
    return e && (e.getAttribute('role') || e.id || e.textContent);
}"""


def test_keyboard_only(live_server, page, shop):
    demo(page, live_server)
    page.get_by_role("dialog", name="Your privacy at Shop").wait_for()
    # Focus moves into the banner once it is painted (the next frame), not inside the start.
    page.wait_for_function(f"() => ({FOCUSED})() === 'dialog'")
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUSED))
    assert order == ["Privacy policy", "Accept all", "Reject all", "Choose", "×"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Choose
    page.get_by_role("dialog", name="Privacy preferences").wait_for()
    assert page.evaluate(FOCUSED) == "dialog"
    # The preferences dialog traps focus: the essential toggle is disabled, so six stops, then round again.
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUSED))
    stops = ["p-analytics", "p-advertising", "Accept all", "Reject all", "Save my choices", "×"]
    assert order == stops + stops[:2]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED) == "×"  # and backwards from the first stop to the last
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # analytics on
    for _ in range(4):
        page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "Save my choices"
    # A visible focus indicator.
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('#consent-ui').shadowRoot.activeElement).outlineStyle"
    )
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert wait_for(page, lambda: len(states(shop)) == 2)
    assert states(shop) == {"analytics": ("granted", "custom"), "advertising": ("denied", "custom")}
    # Reopen from the footer link with the keyboard; Escape closes without recording anything.
    page.get_by_role("link", name="Privacy choices").focus()
    page.keyboard.press("Enter")
    prefs = page.get_by_role("dialog", name="Privacy preferences")
    prefs.wait_for()
    page.keyboard.press("Escape")
    prefs.wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent") == "Privacy choices"  # focus restored
    # Nothing was recorded: a decision is stored and queued at once, before it is sent.
    stored = json.loads(page.evaluate("decodeURIComponent(document.cookie.match(/consent_shop=([^;]*)/)[1])"))
    assert stored["m"] == "custom"
    assert page.evaluate("JSON.parse(localStorage.getItem('consent_shop_queue'))") == []
    assert count(ConsentEvent, site=shop) == 2


def test_escape_on_first_visit_is_a_refusal(live_server, page, shop):
    demo(page, live_server)
    page.get_by_role("dialog", name="Your privacy at Shop").wait_for()
    page.keyboard.press("Escape")
    assert wait_for(page, lambda: len(states(shop)) == 2)
    assert states(shop) == {"analytics": ("denied", "dismiss"), "advertising": ("denied", "dismiss")}
    assert ran(page) == []
    assert page.get_by_role("dialog").count() == 0


def test_strict_csp_page_without_violations(live_server, context, shop):
    context.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective));"
    )
    page = context.new_page()
    response = page.goto(f"{live_server.url}/demo/{KEY}/")
    origin = live_server.url
    assert response.headers["content-security-policy"] == (
        f"default-src 'self'; script-src {origin}; style-src {origin}"
    )
    page.wait_for_function("() => window.consent && window.consent._v")
    accept = page.get_by_role("button", name="Accept all")
    # The banner's own stylesheet applied despite the policy (shadow root, constructed sheet).
    assert accept.evaluate("(e) => getComputedStyle(e).backgroundColor") == "rgb(29, 78, 216)"
    assert page.get_by_role("dialog").evaluate("(e) => getComputedStyle(e).position") == "fixed"
    accept.click()
    page.wait_for_function("() => (window.demoRan || []).length == 2")
    assert wait_for(page, lambda: len(states(shop)) == 2)
    assert page.evaluate("window.cspViolations") == []


def customer_page(live_server, lang="en", body="", head=""):
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Customer</title>{head}
<script src="{live_server.url}/c/{KEY}.js" async></script></head><body>
<h1>Customer site</h1>
<script type="text/plain" data-consent="analytics" src="{live_server.url}/static/consent/demo/gated.js" data-tag="first"
  data-cookies="_demo_analytics"></script>
<script type="text/plain" data-consent="analytics">window.demoRan = (window.demoRan || []).concat("inline");</script>
<script type="text/plain" data-consent="analytics advertising" src="{live_server.url}/static/consent/demo/gated.js"
  data-tag="both" data-cookies="_demo_ads"></script>
{body}
<a href="#" data-consent-open>Cookie settings</a>
</body></html>"""


@pytest.fixture
def customer_site():
    """A customer's web server on another origin, serving the HTML it is given."""
    pages = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", pages
    server.shutdown()
    server.server_close()


def test_cross_origin_embed_language_and_late_elements(live_server, page, shop, customer_site):
    origin, pages = customer_site
    # A cookie the site sets that no declaration covers: the runtime reports its name (never its value).
    undeclared = '<script>document.cookie = "_undeclared_x=secret-value; path=/";</script>'
    pages["/page"] = customer_page(live_server, "fr", undeclared)
    Site.objects.filter(pk=shop.pk).update(allowed_origins=[origin])
    open_page(page, f"{origin}/page")
    # Language from <html lang> (the tag names none and the browser asks for English).
    dialog = page.get_by_role("dialog", name="Votre vie privée chez Shop")
    dialog.get_by_role("button", name="Personnaliser").click()
    prefs = page.get_by_role("dialog", name="Préférences de confidentialité")
    prefs.get_by_role("checkbox", name="Audience measurement").check()  # falls back to the default language
    # An element added later stays inert until its purpose is granted.
    activated = next_activation(page)
    page.evaluate(
        "const s = document.createElement('script'); s.type = 'text/plain'; s.dataset.consent = 'analytics';"
        "s.text = 'window.late = (window.late || 0) + 1'; document.body.append(s);"
        "const t = document.createElement('script'); t.type = 'text/plain'; t.dataset.consent = 'advertising';"
        "t.text = 'window.lateAds = 1'; document.body.append(t);"
    )
    activated()
    assert page.evaluate("window.late") is None
    prefs.get_by_role("button", name="Enregistrer").click()
    page.wait_for_function("() => window.late === 1")
    assert ran(page) == ["first", "inline"]  # document order; "both" needs advertising too
    assert page.evaluate("window.lateAds") is None
    page.evaluate(
        "const f = document.createElement('iframe'); f.dataset.consent = 'analytics';"
        "f.dataset.src = 'about:blank#ok'; const d = document.createElement('div'); d.append(f);"
        "document.body.append(d);"
    )
    page.wait_for_function("() => document.querySelector('iframe').src === 'about:blank#ok'")
    # Recorded through the API across origins (CORS for the site's allowed origin), in French.
    assert wait_for(page, lambda: states(shop).get("analytics") == ("granted", "custom"))
    event = read(lambda: ConsentEvent.objects.get(site=shop, purpose__key="analytics"))
    assert event.language == "fr" and event.banner_version == 1 and event.policy_version == 1
    # Then everything: the remaining tag runs, once.
    page.get_by_role("link", name="Cookie settings").click()
    activated = next_activation(page)
    page.get_by_role("dialog", name="Préférences de confidentialité").get_by_role(
        "button", name="Tout accepter"
    ).click()
    activated()
    assert ran(page) == ["first", "inline", "both"]
    assert page.evaluate("[window.late, window.lateAds]") == [1, 1]
    assert wait_for(page, lambda: states(shop).get("advertising") == ("granted", "accept_all"))
    observed = ObservedCookie.objects.filter(site=shop)
    assert wait_for(page, lambda: observed.exists())
    assert read(lambda: list(observed.values_list("name", "page"))) == [("_undeclared_x", "/page")]


def test_reasks_after_material_policy_change_and_expiry(live_server, page, shop):
    # Routing turns off the browser's HTTP cache, so each load fetches the current configuration
    # (the embed is otherwise cached for five minutes).
    page.route(f"**/c/{KEY}.js", lambda route: route.continue_())
    demo(page, live_server)
    page.get_by_role("button", name="Accept all").click()
    assert wait_for(page, lambda: len(states(shop)) == 2)
    now = timezone.now()
    policy = PolicyVersion.objects.create(
        site=shop, version=2, material=True, published_at=now - timedelta(days=31), effective_at=now
    )
    policy.affected_purposes.add(Purpose.objects.get(site=shop, key="analytics"))
    reload(page)
    page.get_by_role("dialog", name="Your privacy at Shop").wait_for()
    assert page.evaluate("[window.consent.get('analytics'), window.consent.get('advertising')]") == [False, True]
    assert ran(page) == ["advertising"]
    # Closing now refuses only what was being asked again.
    page.get_by_role("button", name="Close").click()
    assert wait_for(page, lambda: states(shop).get("analytics") == ("withdrawn", "dismiss"))
    assert states(shop)["advertising"] == ("granted", "accept_all")
    # An expired choice is asked again.
    page.evaluate(
        "const m = document.cookie.match(/consent_shop=([^;]*)/); const s = JSON.parse(decodeURIComponent(m[1]));"
        "s.t -= 181 * 864e5; document.cookie = 'consent_shop=' + encodeURIComponent(JSON.stringify(s)) + '; path=/';"
    )
    reload(page)
    page.get_by_role("dialog", name="Your privacy at Shop").wait_for()
    assert page.evaluate("window.consent.get('advertising')") is None


def test_reasks_when_a_new_optional_purpose_is_published(live_server, page, shop):
    page.route(f"**/c/{KEY}.js", lambda route: route.continue_())  # no HTTP cache: see above
    demo(page, live_server)
    page.get_by_role("button", name="Reject all").click()
    assert wait_for(page, lambda: len(states(shop)) == 2)
    Purpose.objects.create(site=shop, key="personalisation", position=4)
    reload(page)
    assert page.get_by_role("dialog").count() == 0  # not until a banner version shows the purpose
    publish_banner(shop, shop.banner_versions.get(version=1).texts)
    reload(page)
    page.get_by_role("dialog", name="Your privacy at Shop").wait_for()
    assert page.evaluate("[window.consent.get('analytics'), window.consent.get('personalisation')]") == [False, None]
    page.get_by_role("button", name="Accept all").click()
    assert wait_for(page, lambda: states(shop).get("personalisation") == ("granted", "accept_all"))
    event = read(lambda: ConsentEvent.objects.get(site=shop, purpose__key="personalisation"))
    assert event.banner_version == 2


def test_accessibility_axe_small_screens(live_server, browser, shop):
    # axe is injected as an inline script, which the demo page's CSP forbids: bypass it for axe only.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        demo(page, live_server)
        page.get_by_role("dialog", name="Your privacy at Shop").wait_for()
        assert axe_violations(page, "#consent-ui") == []
        page.get_by_role("button", name="Choose").click()
        page.get_by_role("dialog", name="Privacy preferences").wait_for()
        assert axe_violations(page, "#consent-ui") == []
        page.keyboard.press("Escape")
        assert wait_for(page, lambda: len(states(shop)) == 2)  # dismissal recorded
        assert states(shop)["analytics"] == ("denied", "dismiss")
    finally:
        context.close()
    # 320 px wide, and 1280 px at 200% zoom (a 640 x 400 CSS viewport).
    for width, height, scale in ((320, 640, 1), (640, 400, 2)):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
        page = context.new_page()
        try:
            demo(page, live_server)
            dialog = page.get_by_role("dialog", name="Your privacy at Shop")
            dialog.wait_for()
            box = dialog.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            for name in ("Accept all", "Reject all", "Choose"):
                button = dialog.get_by_role("button", name=name)
                button.scroll_into_view_if_needed()
                b = button.bounding_box()
                assert b["x"] >= 0 and b["x"] + b["width"] <= width and b["height"] >= 44
            dialog.get_by_role("button", name="Choose").click()
            prefs = page.get_by_role("dialog", name="Privacy preferences")
            assert prefs.bounding_box()["width"] <= width
            save = prefs.get_by_role("button", name="Save my choices")
            save.scroll_into_view_if_needed()
            # Closing the context could cut the decision's request short: wait for its answer.
            with page.expect_response(lambda r: r.url.endswith("/decisions") and r.request.method == "POST"):
                save.click()
        finally:
            context.close()
    assert wait_for(None, lambda: count(DecisionReceipt, site=shop) == 3)


def test_demo_sites(live_server, page):
    from demo import mailer, network
    from demo.loader import load_site

    for spec in (network.SITE, mailer.SITE):
        load_site(spec)
    page.goto(f"{live_server.url}/demo/mailer/")  # French first: <html lang="fr">
    page.get_by_role("dialog", name="Les cookies sur Technology Toolbox").wait_for()
    page.get_by_role("button", name="Tout refuser").click()
    mailer_site = Site.objects.get(key="mailer")
    assert wait_for(page, lambda: states(mailer_site).get("analytics") == ("denied", "reject_all"))
    page.goto(f"{live_server.url}/demo/")
    page.get_by_role("dialog", name="Your privacy on bizTOnet").wait_for()
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => (window.demoRan || []).length == 2")
    assert {"bn_aid", "bn_ads"} <= set(cookies(page))
    network_site = Site.objects.get(key="network")
    assert wait_for(page, lambda: states(network_site).get("advertising") == ("granted", "accept_all"))
    assert "marketing_email" not in states(network_site)


def test_calls_queued_before_the_script_loads_are_run(live_server, page, shop, customer_site):
    origin, pages = customer_site
    queue = (
        "<script>window.consent = window.consent || [];"
        "consent.push(['on', 'change', (d) => { window.seen = (window.seen || []).concat([d]); }]);</script>"
    )
    pages["/queued"] = customer_page(live_server, head=queue)
    Site.objects.filter(pk=shop.pk).update(allowed_origins=[origin])
    open_page(page, f"{origin}/queued")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => (window.seen || []).length == 1")
    assert page.evaluate("window.seen[0]") == {"essential": True, "analytics": True, "advertising": True}
    # After loading, push runs at once.
    page.evaluate("window.consent.push(['on', 'change', () => { window.later = 1; }])")
    page.get_by_role("link", name="Cookie settings").click()
    page.get_by_role("dialog", name="Privacy preferences").get_by_role("button", name="Reject all").click()
    page.wait_for_function("() => window.later === 1")
    assert wait_for(page, lambda: states(shop).get("analytics") == ("withdrawn", "reject_all"))


def test_vendor_and_cookie_lists_load_only_when_the_preferences_open(live_server, page, shop):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    demo(page, live_server)
    assert [url for url in requests if f"/c/{KEY}" in url] == [f"{live_server.url}/c/{KEY}.js?lang=en"]
    page.get_by_role("button", name="Choose").click()
    prefs = page.get_by_role("dialog", name="Privacy preferences")
    prefs.get_by_text("Cookies and storage: _demo_a_*, _demo_analytics").wait_for()
    assert "Cookies and storage: _demo_ads" in prefs.inner_text()
    assert [url for url in requests if "details.json" in url] == [f"{live_server.url}/c/{KEY}/details.json?lang=en"]
    # Still keyboard-only stops: the lists add no focusable element.
    assert prefs.locator("a, button, input:not([disabled])").count() == 6
