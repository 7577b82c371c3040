"""Sign in to the console as each role (password + TOTP code), open the dashboard over the demo
loader's weeks of generated decisions, take a screenshot and check what each role may see."""

import json

import pytest
from django.core.management import call_command

from consent.models import ConsentEvent, RightsRequest, Site
from consent.roles import AUDITOR, DPO, EDITOR, setup_roles
from console import dashboard
from cookies.services import current_banner
from cookies.wire import embed_config
from tests.browser.conftest import axe_violations
from tests.staff import PASSWORD, current_code, make_staff

pytestmark = pytest.mark.browser


def sign_in(page, base, username, device):
    page.goto(base + "/admin/login/?next=/admin/console/dashboard/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", current_code(device))
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/console/dashboard/**")


def test_each_role_signs_in_with_totp_and_sees_its_dashboard(live_server, transactional_db, page, artifacts):
    call_command("load_demo", history=45, visitors=150, stdout=open("/dev/null", "w"))
    site = Site.objects.get(key="network")
    shown = dashboard.build(site, dashboard.parse_period())
    devices = {role: make_staff(role.lower(), role)[1] for role in (DPO, EDITOR, AUDITOR)}

    for role, device in devices.items():
        page.context.clear_cookies()
        sign_in(page, live_server.url, role.lower(), device)
        page.goto(live_server.url + "/admin/console/dashboard/?site=network")
        lines = page.locator("#chart-consent-rate polyline").count()
        assert lines >= len(shown["purposes"]) // 2  # one line per purpose, broken on days without data
        assert page.locator("svg[role=img] title").count() >= 6
        total = int(page.locator("#total-events").inner_text().replace(",", ""))
        assert total == shown["totals"]["events"] > 300
        page.screenshot(path=str(artifacts / f"console-dashboard-{role.lower()}.png"), full_page=True)
        nav = page.locator("nav.console-nav").inner_text()
        csv_links = page.locator("a:has-text('Numbers as CSV')").count()
        if role == EDITOR:
            assert "Subject look-up" not in nav and csv_links == 0
            refused = page.goto(live_server.url + "/admin/consent/auditevent/")
            assert refused.status == 403
        else:
            assert "Subject look-up" in nav and csv_links == 6
            page.goto(live_server.url + "/admin/consent/purpose/")
            add_links = page.locator(".object-tools a.addlink").count()
            assert add_links == (1 if role == DPO else 0)


def _screens(page, base):
    """Every console screen the signed-in user can reach from the index and the top navigation."""
    page.goto(base + "/admin/")
    hrefs = page.eval_on_selector_all(
        "#content-main .module a[href^='/admin/'], nav.console-nav a[href^='/admin/']",
        "links => links.map(a => a.getAttribute('href'))",
    )
    screens = ["/admin/"]
    for href in hrefs:
        if href.endswith("/add/") or href in screens:
            continue
        screens.append(href)
    return screens


def _shot_name(role, path):
    slug = path.strip("/").replace("admin/", "", 1).replace("/", "-") or "index"
    return f"console-{role.lower()}-{slug}.png"


def test_every_console_screen_per_role_is_screenshot_and_accessible(live_server, transactional_db, page, artifacts):
    """Walks every screen of every role, saves a screenshot of each for review and runs axe-core on it."""
    call_command("load_demo", history=45, visitors=150, stdout=open("/dev/null", "w"))
    setup_roles()  # the groups as a migrated database has them (a flush between tests can leave them partial)
    devices = {role: make_staff(role.lower(), role)[1] for role in (DPO, EDITOR, AUDITOR)}
    overdue = RightsRequest.objects.filter(site__key="network", status="open").order_by("due_at").first()
    subject_ref = overdue.subject.aliases.get(kind="user").value
    problems = {}
    for role, device in devices.items():
        page.context.clear_cookies()
        sign_in(page, live_server.url, role.lower(), device)
        screens = _screens(page, live_server.url)
        assert "/admin/console/dashboard/" in screens
        assert ("/admin/console/banner/" in screens) == (role != AUDITOR)  # auditors change nothing
        if role != EDITOR:
            # People: the look-up, a person's page and the rights queue with a request.
            screens += [
                f"/admin/console/subjects/?q={subject_ref}",
                f"/admin/console/subjects/{overdue.subject_id}/",
                f"/admin/consent/rightsrequest/{overdue.pk}/change/",
            ]
            assert "/admin/consent/rightsrequest/" in screens
        else:
            assert not [s for s in screens if "subject" in s or "rightsrequest" in s]
        if role != AUDITOR:
            screens.append("/admin/console/banner/network/")
        for path in screens:
            response = page.goto(live_server.url + path)
            assert response.status == 200, (role, path)
            assert page.locator("#content h1, #content-main").count() >= 1
            page.screenshot(path=str(artifacts / _shot_name(role, path.split("?")[0])), full_page=True)
            if role == DPO or path.startswith("/admin/console/"):
                found = axe_violations(page, "#content")
                if found:
                    problems[f"{role} {path}"] = found
        if role != EDITOR:
            page.goto(live_server.url + "/admin/consent/rightsrequest/")
            assert page.locator(".console-overdue").count() >= 1
            assert page.get_by_role("link", name=subject_ref).count() >= 1
    assert problems == {}, json.dumps(problems, indent=1)


@pytest.mark.parametrize("path,lang", [("/demo/", "en"), ("/demo/mailer/", "fr"), ("/demo/crm/", "en")])
def test_demo_pages_in_their_language(live_server, transactional_db, page, artifacts, path, lang):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    page.goto(live_server.url + path)
    assert page.locator("html").get_attribute("lang") == lang
    page.locator("#choice").wait_for()
    page.screenshot(path=str(artifacts / f"demo-{lang}-{path.strip('/').replace('/', '-')}.png"), full_page=True)
    heading = page.locator("main h2").first.inner_text()
    assert heading == ("Ce qui demande votre consentement ici" if lang == "fr" else "What needs consent here")


def test_the_landing_page_links_every_demo_site(live_server, transactional_db, page, artifacts):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    page.goto(live_server.url + "/")
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)
    assert page.locator("a:has-text('Demo site:')").count() == Site.objects.count()
    assert axe_violations(page) == []


# --- banner editor ---------------------------------------------------------------------------------


def _preview(page, lang, width):
    return page.frame_locator(f"iframe[data-language={lang}][data-width={width}]")


def test_banner_editor_previews_the_draft_with_the_real_runtime_in_each_language(
    live_server, transactional_db, page, artifacts
):
    """The editor's frames run the live runtime with the draft texts: the purposes of the live
    dialog, each language's strings, solid buttons; clicking in a frame records nothing."""
    call_command("load_demo", stdout=open("/dev/null", "w"))
    site = Site.objects.get(key="network")
    live_purposes = [p["name"] for p in embed_config(site, "fr")["purposes"]]
    published = current_banner(site).texts
    setup_roles()
    _, device = make_staff("editor", EDITOR)
    sign_in(page, live_server.url, "editor", device)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live_server.url + "/admin/console/banner/network/")
    page.fill("#id_fr__title", "Votre vie privée, version brouillon")
    page.fill("#id_en__title", "Your privacy, draft edition")
    page.select_option("#id_preview_regime", "opt_in")
    page.click("button[value=preview]")
    page.wait_for_load_state()

    for lang, title in (("fr", "Votre vie privée, version brouillon"), ("en", "Your privacy, draft edition")):
        for width in ("phone", "desktop"):
            heading = _preview(page, lang, width).locator("#consent-ui .b h2")
            heading.wait_for()
            assert heading.inner_text() == title
    french = _preview(page, "fr", "desktop")
    buttons = french.locator("#consent-ui .b .a button")
    assert buttons.all_inner_texts() == [published["fr"][k] for k in ("accept_all", "reject_all", "choose")]
    # Solid, same style as the live banner: a filled background, not an outline.
    fill = buttons.first.evaluate("b => getComputedStyle(b).backgroundColor")
    assert fill not in ("rgba(0, 0, 0, 0)", "transparent")

    # The dialog lists the live dialog's purposes, in French.
    french.locator("#consent-ui button[data-a=choose]").press("Enter")  # keyboard: the frame is scaled
    names = french.locator("#consent-ui .p li label span")
    frame = page.locator("iframe[data-language=fr][data-width=desktop]")
    names.first.wait_for()
    assert names.all_inner_texts() == live_purposes
    assert french.locator("#consent-ui .p h2").inner_text() == "Préférences de confidentialité"
    events = ConsentEvent.objects.count()
    frame.screenshot(path=str(artifacts / "console-banner-editor-preview-fr-preferences.png"))
    french.locator("#consent-ui .p button[data-a=accept]").press("Enter")
    french.locator("#consent-ui .b h2").wait_for()  # recorded nothing: the banner shows again
    assert ConsentEvent.objects.count() == events
    assert not [u for u in requests if "/api/" in u or "details.json" in u]

    # A viewport as tall as the page: Chromium paints out-of-view sandboxed frames blank in full-page shots.
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    _preview(page, "en", "desktop").locator("#consent-ui .b h2").wait_for()
    page.screenshot(path=str(artifacts / "console-banner-editor-previews.png"), full_page=True)
    assert axe_violations(page, "#content") == []
