"""CCPA request kinds beside the GDPR ones: their deadlines, their extension, who is offered them,
and the jurisdiction of decisions made in the preference centre."""

from datetime import UTC, datetime, timedelta

import pytest

from consent.exceptions import ConsentError
from consent.models import ConsentEvent, RightsRequest, Subject
from features.ccpa import add_business_days
from features.centre.preferences import purpose_rows
from features.rights import complete_rights_request, extend_rights_request, open_rights_request
from tests.people import make_user, open_centre


@pytest.fixture
def dpo(django_user_model):
    return django_user_model.objects.create_user("dpo")


def test_business_days_skip_weekends():
    friday = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert add_business_days(friday, 1) == datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert add_business_days(friday, 15) == datetime(2026, 12, 18, 12, tzinfo=UTC)


def test_know_delete_correct_are_due_in_45_days_and_extend_once_to_90(site, dpo):
    user = make_user(site, jurisdiction="US-CA")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    request = open_rights_request(site, user, "ccpa_know", now=now)
    assert request.due_at == now + timedelta(days=45)
    extend_rights_request(request, "Records spread over three systems.", dpo)
    assert request.due_at == now + timedelta(days=90) and request.status == "extended"
    with pytest.raises(ConsentError) as err:
        extend_rights_request(request, "More", dpo)
    assert err.value.code == "rights.extension_limit" and "maximum of 90 days" in err.value.message


def test_opt_out_and_limit_are_due_in_15_business_days_without_extension(site, dpo):
    user = make_user(site, jurisdiction="US-CA")
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)  # a Friday
    for kind in ("ccpa_opt_out", "ccpa_limit"):
        request = open_rights_request(site, user, kind, now=now)
        assert request.due_at == datetime(2026, 12, 18, 9, tzinfo=UTC)
        with pytest.raises(ConsentError) as err:
            extend_rights_request(request, "Busy", dpo)
        assert "cannot be extended" in err.value.message


def test_completing_a_ccpa_delete_request_erases_the_person(site, dpo):
    user = make_user(site, jurisdiction="US-CA")
    request = open_rights_request(site, user, "ccpa_delete")
    complete_rights_request(request, dpo, "Deleted.")
    assert Subject.objects.get(pk=user).erased_at is not None


def test_the_centre_offers_ccpa_kinds_to_opt_out_visitors_and_gdpr_kinds_to_others(client, site):
    californian = make_user(site, ref="u-ca", email="ca@example.test", jurisdiction="US-CA")
    page = open_centre(client, site, californian).content.decode()
    assert 'value="ccpa_opt_out"' in page and "Do not sell or share my personal information" in page
    assert 'value="erasure"' not in page
    response = client.post("/preferences/acme/requests", {"kind": "ccpa_delete"}, follow=True)
    request = RightsRequest.objects.get()
    assert request.kind == "ccpa_delete" and request.due_at == request.received_at + timedelta(days=45)
    assert "Delete my personal information" in response.content.decode()
    french = make_user(site, ref="u-fr", email="fr@example.test", jurisdiction="FR")
    page = open_centre(client, site, french).content.decode()
    assert 'value="erasure"' in page and 'value="ccpa_opt_out"' not in page


def test_centre_decisions_record_the_jurisdiction_and_read_under_its_regime(client, site, settings):
    settings.GEO_HEADER = "CF-IPCountry"
    settings.GEO_REGION_HEADER = "CF-Region-Code"
    user = make_user(site, ref="u-1", decisions={"advertising": "denied"}, jurisdiction="US-CA")
    open_centre(client, site, user)
    # Opt-out regime: analytics runs until refused, so the centre shows it allowed without a decision.
    rows = {row.key: row for row in purpose_rows(site, user, "en")}
    assert (rows["analytics"].state, rows["analytics"].allowed) == (None, True)
    assert rows["advertising"].allowed is False
    client.post(
        "/preferences/acme/choices",
        {"purpose-analytics": "denied", "purpose-advertising": "denied", "purpose-marketing_email": "denied"},
        HTTP_CF_IPCOUNTRY="US",
        HTTP_CF_REGION_CODE="TX",
    )
    recorded = ConsentEvent.objects.filter(subject_id=user, method="preference_centre")
    assert {e.purpose.key: e.jurisdiction for e in recorded} == {"analytics": "US-TX", "marketing_email": "US-TX"}
