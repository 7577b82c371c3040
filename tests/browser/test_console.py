"""Sign in to the console as each role (password + TOTP code), open the dashboard over the demo
loader's weeks of generated decisions, take a screenshot and check what each role may see."""

import pytest
from django.core.management import call_command

from consent.console import dashboard
from consent.models import Site
from consent.roles import AUDITOR, DPO, EDITOR
from tests.consent.console_support import PASSWORD, current_code, fast_hashing, make_staff  # noqa: F401

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
