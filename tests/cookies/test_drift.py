"""Cookie drift: the banner reports undeclared cookie names; the console lists them; a DPO declares one."""

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from consent.models import AuditEvent, Purpose
from consent.roles import DPO, EDITOR
from cookies.drift import covered, report_observed
from cookies.models import CookieDeclaration, ObservedCookie
from tests.staff import make_staff, sign_in

URL = "/api/v1/sites/acme/observed-cookies"
ORIGIN = "https://www.acme.test"


@pytest.fixture
def declared(site):
    analytics = Purpose.objects.get(site=site, key="analytics")
    CookieDeclaration.objects.create(site=site, name="_ga", purpose=analytics)
    CookieDeclaration.objects.create(site=site, name="_ga_*", purpose=analytics)
    return site


def post(client, body, origin=ORIGIN):
    return client.post(URL, body, format="json", HTTP_ORIGIN=origin)


def test_patterns_cover_names():
    assert covered("_ga_ABC", ["_ga_*"]) and covered("_ga", ["_ga"])
    assert not covered("_gab", ["_ga"]) and not covered("x_ga_1", ["_ga_*"])


def test_undeclared_names_are_kept_with_first_and_last_seen(declared):
    client = APIClient()
    first = post(client, {"names": ["_ga", "_ga_XYZ", "_fbp", "tracker"], "page": "/shop?q=private"})
    assert first.status_code == 202
    assert first.json() == {"undeclared": ["_fbp", "tracker"]}
    assert first["Access-Control-Allow-Origin"] == ORIGIN
    fbp = ObservedCookie.objects.get(name="_fbp")
    assert fbp.page == "/shop" and fbp.times_seen == 1
    again = post(client, {"names": ["_fbp"], "page": "/cart"})
    assert again.status_code == 202
    fbp.refresh_from_db()
    assert fbp.times_seen == 2 and fbp.page == "/cart" and fbp.last_seen > fbp.first_seen
    assert ObservedCookie.objects.count() == 2


@pytest.mark.parametrize(
    "body,field",
    [
        ({"names": [f"c{i}" for i in range(51)]}, "names"),
        ({"names": []}, "names"),
        ({"names": "abc"}, "names"),
        ({"names": ["ok", "session=abc123"]}, "names.1"),
        ({"names": ["x" * 201]}, "names.0"),
        ({"names": [42]}, "names.0"),
        ({"names": ["ok"], "page": "https://other.test/"}, "page"),
        ({"names": ["ok"], "page": "/" + "a" * 600}, "page"),
    ],
)
def test_bad_reports_get_a_4xx_naming_the_field(site, body, field):
    response = post(APIClient(), body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not ObservedCookie.objects.exists()


def test_unknown_site_foreign_origin_and_rate_limit(site):
    client = APIClient()
    assert client.post("/api/v1/sites/nope/observed-cookies", {"names": ["a"]}, format="json").status_code == 404
    foreign = post(client, {"names": ["a"]}, origin="https://evil.test")
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["cookie_report"].split("/")[0])
    statuses = [post(client, {"names": ["a"]}).status_code for _ in range(rate + 1)]
    assert statuses == [202] * rate + [429]
    assert post(client, {"names": ["a"]}).json()["error"]["code"] == "request.throttled"


def test_preflight_answers_the_sites_origin_only(site):
    client = APIClient()
    ok = client.options(URL, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == ORIGIN
    other = client.options(URL, HTTP_ORIGIN="https://evil.test", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other


def test_console_lists_undeclared_cookies_and_a_dpo_declares_one(declared):
    report_observed(declared, ["_fbp", "_hjid"], "/pricing")
    observed = ObservedCookie.objects.get(name="_fbp")
    user, device = make_staff("dpo", DPO)
    dpo = sign_in(Client(), user, device)
    listing = dpo.get("/admin/cookies/observedcookie/").content.decode()
    assert "_fbp" in listing and "/pricing" in listing and "Declare" in listing
    url = f"/admin/cookies/observedcookie/{observed.pk}/declare/"
    assert dpo.get(url).status_code == 200
    advertising = Purpose.objects.get(site=declared, key="advertising")
    response = dpo.post(url, {"purpose": advertising.pk, "lifetime_days": "90", "description": "Ads pixel"})
    assert response.status_code == 302
    declaration = CookieDeclaration.objects.get(name="_fbp")
    assert declaration.purpose == advertising and declaration.lifetime_seconds == 90 * 86400
    observed.refresh_from_db()
    assert observed.declared == declaration
    assert AuditEvent.objects.filter(action="cookie.declared", actor_label="dpo").exists()
    # Once declared, the banner's next report of that name is ignored.
    assert report_observed(declared, ["_fbp", "_hjid"], "/") == ["_hjid"]


def test_auditors_and_editors_cannot_declare_without_the_right(declared):
    report_observed(declared, ["_fbp"], "/")
    observed = ObservedCookie.objects.get()
    from consent.roles import AUDITOR

    user, device = make_staff("auditor", AUDITOR)
    auditor = sign_in(Client(), user, device)
    assert auditor.get("/admin/cookies/observedcookie/").status_code == 200
    assert auditor.post(f"/admin/cookies/observedcookie/{observed.pk}/declare/", {}).status_code == 403
    user, device = make_staff("editor", EDITOR)
    editor = sign_in(Client(), user, device)
    assert editor.get(f"/admin/cookies/observedcookie/{observed.pk}/declare/").status_code == 200
