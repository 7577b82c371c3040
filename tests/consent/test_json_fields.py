"""JSON fields edited in the console are checked against a schema (a form error naming the key),
and the pages people open survive whatever is stored anyway."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from consent import jsonfields
from consent.models import Purpose, Site
from consent.roles import DPO, EDITOR
from cookies.models import BannerVersion
from features.centre.unsubscribe import unsubscribe_url
from tests.people import make_user, open_centre
from tests.staff import make_staff, sign_in

BAD_VALUES = {
    "allowed_origins": ("https://ok.test", "allowed_origins: 'https://ok.test' is not of type 'array'"),
    "languages": (["en", "EN_gb!"], "languages.1: 'EN_gb!' is not in the expected form."),
    "regime_by_country": ({"US-CA": "maybe"}, "regime_by_country.US-CA: 'maybe' is not one of opt_in, opt_out"),
    "consent_mode": ({"analytics": ["analytics_storage", "cookies"]}, "consent_mode.analytics.1: 'cookies'"),
    "translations": ({"fr": {"name": 5}}, "translations.fr.name: 5 is not of type 'string'"),
    "texts": ({"en": ["title"]}, "texts.en: ['title'] is not of type 'object'"),
}


@pytest.mark.parametrize("field", sorted(BAD_VALUES))
def test_each_schema_names_the_bad_key(field):
    value, message = BAD_VALUES[field]
    assert any(m.startswith(message) for m in jsonfields.errors_of(field, value)), jsonfields.errors_of(field, value)


def test_good_values_pass():
    assert jsonfields.errors_of("languages", ["en", "fr", "pt-BR"]) == []
    assert jsonfields.errors_of("allowed_origins", ["https://www.acme.test", "http://localhost:8000"]) == []
    assert jsonfields.errors_of("regime_by_country", {"US": "opt_out", "US-CA": "opt_out", "FR": "opt_in"}) == []
    assert jsonfields.errors_of("consent_mode", {"advertising": ["ad_storage", "ad_user_data"]}) == []
    assert jsonfields.errors_of("translations", {"en": {"name": "Ads", "description": "..."}}) == []
    assert jsonfields.errors_of("texts", {"en": {"title": "Hi", "body": "..."}}) == []


def test_model_clean_keys_errors_by_field(site):
    site.languages = "en"
    site.regime_by_country = {"us": "opt_out"}
    with pytest.raises(ValidationError) as err:
        site.full_clean()
    errors = err.value.message_dict
    assert errors["languages"] == ["languages: 'en' is not of type 'array'"]
    assert errors["regime_by_country"] == ["regime_by_country: 'us' is not an allowed key."]
    banner = BannerVersion(site=site, texts={"en": {"title": 1}})
    with pytest.raises(ValidationError) as err:
        banner.full_clean()
    assert err.value.message_dict["texts"] == ["texts.en.title: 1 is not of type 'string'"]


def test_console_form_error_instead_of_a_stored_bad_value(site):
    user, device = make_staff("editor", EDITOR)
    client = sign_in(Client(), user, device)
    purpose = Purpose.objects.get(site=site, key="surveys")
    response = client.post(
        f"/admin/consent/purpose/{purpose.pk}/change/",
        {
            "site": site.pk,
            "key": "surveys",
            "kind": "cookie",
            "legal_basis": "legitimate_interest",
            "position": "4",
            "translations": '{"en": "Surveys"}',
        },
    )
    assert response.status_code == 200
    assert "translations.en: &#x27;Surveys&#x27; is not of type &#x27;object&#x27;" in response.content.decode()
    purpose.refresh_from_db()
    assert purpose.translations == {}


def test_site_form_names_the_key(site):
    user, device = make_staff("dpo", DPO)
    client = sign_in(Client(), user, device)
    page = client.get(f"/admin/consent/site/{site.pk}/change/")
    data = {
        "key": site.key,
        "name": site.name,
        "languages": '["en", "fr"]',
        "default_language": "en",
        "allowed_origins": '["https://www.acme.test/path"]',
        "regime": "opt_in",
        "regime_by_country": '{"US-CA": "opt_out"}',
        "consent_lifetime_days": "180",
        "notice_period_days": "30",
        "ip_handling": "truncated",
        "age_of_digital_consent": "16",
        "consent_mode": '{"analytics": "analytics_storage"}',
        "purposes-TOTAL_FORMS": "0",
        "purposes-INITIAL_FORMS": "0",
        "vendors-TOTAL_FORMS": "0",
        "vendors-INITIAL_FORMS": "0",
    }
    assert page.status_code == 200
    html = client.post(f"/admin/consent/site/{site.pk}/change/", data).content.decode()
    assert "allowed_origins.0: &#x27;https://www.acme.test/path&#x27; is not in the expected form." in html
    assert "consent_mode.analytics: &#x27;analytics_storage&#x27; is not of type &#x27;array&#x27;" in html
    site.refresh_from_db()
    assert site.allowed_origins == ["https://www.acme.test"]


GARBAGE = [
    {"translations": ["not", "an", "object"]},
    {"translations": {"en": "a string", "fr": None}},
    {"translations": {"en": {"name": 42, "description": {"x": 1}}}},
    {"translations": "text"},
]


@pytest.mark.parametrize("stored", GARBAGE)
def test_preference_centre_and_unsubscribe_survive_any_stored_translations(site, client, stored):
    """Values written around the console (a script, an old row) must not break the pages."""
    subject_id = make_user(site, decisions={"marketing_email": "granted"})
    Purpose.objects.filter(site=site).update(**stored)
    Site.objects.filter(pk=site.pk).update(languages="en", regime_by_country=[1], consent_mode=["x"])
    centre = open_centre(client, site, subject_id)
    assert centre.status_code == 200
    assert "Marketing email" in centre.content.decode()  # the key stands in for the name
    path = (
        "/" + unsubscribe_url(site, subject_id, Purpose.objects.get(site=site, key="marketing_email")).split("/", 3)[3]
    )
    page = Client().get(path)
    assert page.status_code == 200 and "Marketing email" in page.content.decode()
