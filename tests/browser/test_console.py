"""Sign in to the console as each role (password + TOTP code), open the dashboard over a few
weeks of recorded decisions, take a screenshot and check what each role may see."""

import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from consent.models import LegalBasis, Purpose, Site
from consent.roles import AUDITOR, DPO, EDITOR
from consent.services import append_events, resolve_subject
from tests.consent.console_support import PASSWORD, current_code, fast_hashing, make_staff  # noqa: F401

pytestmark = pytest.mark.browser

METHODS = ["accept_all", "accept_all", "reject_all", "custom", "custom", "dismiss", "gpc"]


def weeks_of_decisions(site, days=21, per_day=12, seed=7):
    """Decisions spread over the last `days` days, with withdrawals in the preference centre."""
    rng = random.Random(seed)
    purposes = list(Purpose.objects.filter(site=site, essential=False).order_by("position"))
    now = timezone.now()
    for day in range(days):
        for n in range(per_day):
            when = now - timedelta(days=day, minutes=rng.randint(0, 600))
            method = rng.choice(METHODS)
            if method == "accept_all":
                answer = {p.key: "granted" for p in purposes}
            elif method in ("reject_all", "dismiss", "gpc"):
                answer = {p.key: "denied" for p in purposes}
            else:
                answer = {p.key: rng.choice(["granted", "denied"]) for p in purposes}
            subject_id = resolve_subject(site, visitor_id=f"v-{day}-{n}")
            items = [(p, None, answer[p.key]) for p in purposes]
            country, language = rng.choice([("FR", "fr"), ("DE", "en"), ("US-CA", "en"), ("BE", "fr")])
            with transaction.atomic():
                append_events(
                    site, subject_id, items, method=method, recorded_at=when, jurisdiction=country, language=language
                )
            if answer[purposes[0].key] == "granted" and rng.random() < 0.15:
                with transaction.atomic():
                    append_events(
                        site,
                        subject_id,
                        [(purposes[0], None, "denied")],
                        method="preference_centre",
                        recorded_at=when + timedelta(hours=5),
                    )


def sign_in(page, base, username, device):
    page.goto(base + "/admin/login/?next=/admin/console/dashboard/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", current_code(device))
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/console/dashboard/**")


def test_each_role_signs_in_with_totp_and_sees_its_dashboard(live_server, transactional_db, page, artifacts):
    site = Site.objects.create(key="shop", name="Demo Shop", languages=["en", "fr"])
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT, position=0)
    for i, key in enumerate(["analytics", "advertising", "personalisation"], start=1):
        Purpose.objects.create(site=site, key=key, position=i, gpc_sensitive=key == "advertising")
    weeks_of_decisions(site)
    devices = {role: make_staff(role.lower(), role)[1] for role in (DPO, EDITOR, AUDITOR)}

    for role, device in devices.items():
        page.context.clear_cookies()
        sign_in(page, live_server.url, role.lower(), device)
        assert page.locator("#chart-consent-rate polyline").count() == 3
        assert page.locator("svg[role=img] title").count() >= 6
        assert int(page.locator("#total-events").inner_text()) > 500
        page.screenshot(path=str(artifacts / f"console-dashboard-{role.lower()}.png"), full_page=True)
        nav = page.locator("nav.console-nav").inner_text()
        csv_links = page.locator("a:has-text('Numbers as CSV')").count()
        if role == EDITOR:
            assert "Subject look-up" not in nav and csv_links == 0
            page.goto(live_server.url + "/admin/consent/auditevent/")
            assert "403" in page.title() or page.locator("h1").inner_text().startswith("403")
        else:
            assert "Subject look-up" in nav and csv_links == 6
            page.goto(live_server.url + "/admin/consent/purpose/")
            add_links = page.locator(".object-tools a.addlink").count()
            assert add_links == (1 if role == DPO else 0)
