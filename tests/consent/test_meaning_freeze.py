"""What recorded consents mean cannot be changed after the fact: the database refuses it, the
console shows the fields read-only and explains, and names and translations stay editable."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test import Client

from consent.models import LegalBasis, Purpose, Site, Vendor
from consent.roles import DPO, EDITOR
from consent.services.decisions import record_decision
from tests.staff import make_staff, sign_in

FROZEN_MESSAGE = "has recorded consents"


def decide(site, decisions, **kw):
    return record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, method="custom", ref="user-1", **kw)


def refused(queryset_update):
    with pytest.raises(DatabaseError), transaction.atomic():
        queryset_update()


@pytest.fixture
def recorded(site):
    """Events on analytics (purpose level) and on partner_ads within advertising (vendor level)."""
    decide(site, {"analytics": "denied", "advertising": "granted"}, vendors={"partner_ads": "denied"})
    return site


@pytest.fixture
def editor(site):
    user, device = make_staff("editor", EDITOR)
    return sign_in(Client(), user, device)


def test_database_refuses_changing_a_used_purposes_meaning(recorded):
    analytics = Purpose.objects.get(site=recorded, key="analytics")
    other = Site.objects.create(key="other", name="Other")
    rows = Purpose.objects.filter(pk=analytics.pk)
    refused(lambda: rows.update(legal_basis=LegalBasis.CONTRACT))
    refused(lambda: rows.update(essential=True))
    refused(lambda: rows.update(key="stats"))
    refused(lambda: rows.update(site=other))
    analytics.refresh_from_db()
    assert (analytics.legal_basis, analytics.essential, analytics.key, analytics.site_id) == (
        LegalBasis.CONSENT,
        False,
        "analytics",
        recorded.pk,
    )
    # Wording, order and flags that do not change what was agreed stay editable.
    rows.update(translations={"en": {"name": "Statistics"}}, position=9, gpc_sensitive=True)
    rows.update(legal_basis=LegalBasis.CONSENT)  # the same value is no change
    assert Purpose.objects.get(pk=analytics.pk).text("en", "name") == "Statistics"


def test_unused_purposes_can_still_be_changed(recorded):
    rows = Purpose.objects.filter(site=recorded, key="marketing_email")
    rows.update(legal_basis=LegalBasis.LEGITIMATE_INTEREST, essential=True, key="newsletter")
    assert Purpose.objects.filter(site=recorded, key="newsletter", essential=True).exists()


def test_database_refuses_changing_a_used_vendor_and_its_purposes(recorded):
    vendor = Vendor.objects.get(site=recorded, key="partner_ads")
    analytics = Purpose.objects.get(site=recorded, key="analytics")
    advertising = Purpose.objects.get(site=recorded, key="advertising")
    refused(lambda: Vendor.objects.filter(pk=vendor.pk).update(key="renamed"))
    Vendor.objects.filter(pk=vendor.pk).update(name="Partner Ads Ltd", country="GB")
    refused(lambda: vendor.purposes.remove(advertising))
    refused(lambda: vendor.purposes.add(analytics))
    # A purpose without recorded consents may gain vendors; the vendor's other fields stay editable.
    surveys = Purpose.objects.get(site=recorded, key="surveys")
    vendor.purposes.add(surveys)
    assert set(vendor.purposes.values_list("key", flat=True)) == {"advertising", "surveys"}
    newcomer = Vendor.objects.create(site=recorded, key="newcomer", name="Newcomer")
    refused(lambda: newcomer.purposes.add(advertising))
    Vendor.objects.filter(pk=newcomer.pk).update(key="newcomer2")  # no events name it


def test_model_validation_names_the_frozen_fields(recorded):
    analytics = Purpose.objects.get(site=recorded, key="analytics")
    analytics.legal_basis = LegalBasis.CONTRACT
    analytics.essential = True
    with pytest.raises(ValidationError) as err:
        analytics.full_clean()
    text = " ".join(err.value.messages)
    assert FROZEN_MESSAGE in text and "legal basis, essential" in text and "material policy change" in text
    analytics.legal_basis, analytics.essential = LegalBasis.CONSENT, False
    analytics.translations = {"fr": {"name": "Statistiques"}}
    analytics.full_clean()


def test_console_shows_meaning_fields_read_only_and_says_why(recorded, editor):
    analytics = Purpose.objects.get(site=recorded, key="analytics")
    page = editor.get(f"/admin/consent/purpose/{analytics.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and FROZEN_MESSAGE in html and "material policy change" in html
    assert 'name="legal_basis"' not in html and 'name="key"' not in html and 'name="essential"' not in html
    assert 'name="translations"' in html
    unused = Purpose.objects.get(site=recorded, key="marketing_email")
    html = editor.get(f"/admin/consent/purpose/{unused.pk}/change/").content.decode()
    assert 'name="legal_basis"' in html and FROZEN_MESSAGE not in html


def test_console_edit_of_a_used_purpose_keeps_its_meaning(recorded, editor):
    analytics = Purpose.objects.get(site=recorded, key="analytics")
    response = editor.post(
        f"/admin/consent/purpose/{analytics.pk}/change/",
        {
            "kind": "cookie",
            "legal_basis": "contract",  # read-only: ignored
            "essential": "on",
            "key": "stats",
            "position": "1",
            "translations": '{"en": {"name": "Statistics"}}',
        },
    )
    assert response.status_code == 302
    analytics.refresh_from_db()
    assert (analytics.legal_basis, analytics.essential, analytics.key) == ("consent", False, "analytics")
    assert analytics.translations == {"en": {"name": "Statistics"}}


def test_site_inline_refuses_a_used_purposes_legal_basis(recorded):
    user, device = make_staff("dpo", DPO)
    client = sign_in(Client(), user, device)
    page = client.get(f"/admin/consent/site/{recorded.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        key=recorded.key,
        name=recorded.name,
        languages='["en", "fr"]',
        allowed_origins='["https://www.acme.test"]',
        regime_by_country="{}",
        consent_mode="{}",
        regime="opt_in",
        ip_handling="truncated",
        default_language="en",
        consent_lifetime_days="180",
        notice_period_days="30",
        age_of_digital_consent="16",
    )
    purposes = list(Purpose.objects.filter(site=recorded).order_by("position", "id"))
    prefix = "purposes"
    data.update({f"{prefix}-TOTAL_FORMS": len(purposes), f"{prefix}-INITIAL_FORMS": len(purposes)})
    for i, p in enumerate(purposes):
        data.update(
            {
                f"{prefix}-{i}-id": p.pk,
                f"{prefix}-{i}-site": recorded.pk,
                f"{prefix}-{i}-key": p.key,
                f"{prefix}-{i}-kind": p.kind,
                f"{prefix}-{i}-legal_basis": "contract" if p.key == "analytics" else p.legal_basis,
                f"{prefix}-{i}-position": p.position,
            }
        )
        if p.essential:
            data[f"{prefix}-{i}-essential"] = "on"
        if p.gpc_sensitive:
            data[f"{prefix}-{i}-gpc_sensitive"] = "on"
    vendors = list(Vendor.objects.filter(site=recorded))
    data.update({"vendors-TOTAL_FORMS": len(vendors), "vendors-INITIAL_FORMS": len(vendors)})
    for i, v in enumerate(vendors):
        data.update(
            {
                f"vendors-{i}-id": v.pk,
                f"vendors-{i}-site": recorded.pk,
                f"vendors-{i}-key": v.key,
                f"vendors-{i}-name": v.name,
                f"vendors-{i}-country": v.country,
            }
        )
    response = client.post(f"/admin/consent/site/{recorded.pk}/change/", data)
    assert response.status_code == 200
    assert FROZEN_MESSAGE in response.content.decode()
    assert Purpose.objects.get(site=recorded, key="analytics").legal_basis == "consent"


def test_console_refuses_moving_a_vendor_across_used_purposes(recorded, editor):
    vendor = Vendor.objects.get(site=recorded, key="partner_ads")
    analytics = Purpose.objects.get(site=recorded, key="analytics")
    surveys = Purpose.objects.get(site=recorded, key="surveys")
    base = {"name": "Partner Ads", "country": "US", "policy_url": ""}
    response = editor.post(f"/admin/consent/vendor/{vendor.pk}/change/", {**base, "purposes": [analytics.pk]})
    html = response.content.decode()
    assert response.status_code == 200 and "cannot gain or lose vendors (advertising, analytics)" in html
    assert list(vendor.purposes.values_list("key", flat=True)) == ["advertising"]
    advertising = Purpose.objects.get(site=recorded, key="advertising")
    ok = editor.post(f"/admin/consent/vendor/{vendor.pk}/change/", {**base, "purposes": [advertising.pk, surveys.pk]})
    assert ok.status_code == 302
    assert set(vendor.purposes.values_list("key", flat=True)) == {"advertising", "surveys"}
