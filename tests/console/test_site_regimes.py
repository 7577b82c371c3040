"""The site page edits the regimes, the default jurisdiction and the cookie domain, with the reason
for a refused value, and shows which regime applies where."""

import json

import pytest
from django.test import Client

from consent.models import Site
from consent.roles import DPO
from tests.staff import make_staff, sign_in


def site_form(site, **changes):
    data = {
        "key": site.key,
        "name": site.name,
        "languages": '["en", "fr"]',
        "default_language": "en",
        "allowed_origins": '["https://www.acme.test", "https://shop.acme.test"]',
        "regime": "notice",
        "regime_by_country": '{"US-CA": "opt_out"}',
        "regime_settings": json.dumps(
            {"opt_in": {"reask_days": 182}, "opt_out": {"reask_days": 365, "sensitive": ["marketing_email"]}}
        ),
        "default_jurisdiction": "FR",
        "cookie_domain": ".acme.test",
        "consent_lifetime_days": "180",
        "notice_period_days": "30",
        "ip_handling": "truncated",
        "age_of_digital_consent": "16",
        "consent_mode": "{}",
        "purposes-TOTAL_FORMS": "0",
        "purposes-INITIAL_FORMS": "0",
        "vendors-TOTAL_FORMS": "0",
        "vendors-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


@pytest.fixture
def dpo_client(site):
    user, device = make_staff("dpo", DPO)
    return sign_in(Client(), user, device)


def test_site_page_saves_regime_settings_and_shows_them_in_effect(site, dpo_client):
    url = f"/admin/consent/site/{site.pk}/change/"
    response = dpo_client.post(url, site_form(site))
    assert response.status_code == 302, response.context["adminform"].form.errors
    site = Site.objects.get(pk=site.pk)
    assert site.regime == "notice" and site.cookie_domain == ".acme.test" and site.default_jurisdiction == "FR"
    assert site.regime_settings["opt_out"]["sensitive"] == ["marketing_email"]
    page = dpo_client.get(url).content.decode()
    assert "<strong>opt_out</strong>: US-CA" in page
    assert "<strong>notice</strong>: everywhere else" in page
    assert "sensitive [&#x27;marketing_email&#x27;]" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"regime_settings": '{"opt_in": {"reask_days": 30}}'}, "outside 182-395. CNIL"),
        ({"regime_settings": '{"opt_out": {"reask_days": 90}}'}, "at least 12 months (365 days) after an opt-out"),
        ({"cookie_domain": ".elsewhere.test"}, "is not a parent of any allowed origin"),
        ({"default_jurisdiction": "France"}, "ISO 3166 country or region code"),
        ({"regime_by_country": '{"US-CA": "maybe"}'}, "is not one of opt_in, opt_out, notice"),
    ],
)
def test_site_page_refuses_values_outside_the_rules(site, dpo_client, changes, message):
    response = dpo_client.post(f"/admin/consent/site/{site.pk}/change/", site_form(site, **changes))
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Site.objects.get(pk=site.pk).regime == "opt_in"  # nothing saved
