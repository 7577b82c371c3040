"""The console and the preference centre run under their strict CSP with no violation; an inline
script injected into the page is refused (the check itself can fail)."""

import pytest

from consent.csp import POLICY
from consent.roles import DPO
from cookies.services import publish_banner
from features.centre.preferences import make_preference_link
from tests.browser.test_console import sign_in
from tests.people import make_user
from tests.staff import make_staff

pytestmark = pytest.mark.browser

COLLECT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || ''));
});
"""
TEXTS = {"en": {k: k for k in ("title", "body", "accept_all", "reject_all", "choose", "save", "close")}}


def _visit(page, url):
    response = page.goto(url)
    assert response.headers.get("content-security-policy") == POLICY, url
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp")


def _inline_script_is_refused(page):
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__csp")[0].startswith("script-src")


def test_console_pages_work_under_the_csp(live_server, page, site, settings):
    publish_banner(site, TEXTS)
    _, device = make_staff("dpo", DPO)
    page.context.add_init_script(COLLECT)
    sign_in(page, live_server.url, "dpo", device)
    for path in (
        "/admin/console/dashboard/?site=acme",
        "/admin/console/subjects/?q=user-1",
        "/admin/console/banner/acme/",
        "/admin/console/two-factor/",
        "/admin/consent/policyversion/add/",
        "/admin/consent/purpose/",
        "/admin/consent/auditevent/",
    ):
        assert _visit(page, live_server.url + path) == [], path
    _inline_script_is_refused(page)


def test_preference_centre_works_under_the_csp(live_server, page, site, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    subject = make_user(site, decisions={"analytics": "granted"})
    link, _ = make_preference_link(site, subject)
    page.context.add_init_script(COLLECT)
    page.goto(link)
    assert page.locator("h1").inner_text() == "Your privacy preferences"
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == []
    page.get_by_role("group", name="Advertising").get_by_label("Allow", exact=True).check()
    page.get_by_role("button", name="Save my choices").click()
    assert "Your choices were saved." in page.get_by_role("status").first.inner_text()
    assert page.evaluate("window.__csp") == []
    _inline_script_is_refused(page)
