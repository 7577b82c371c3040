"""A TCF site's banner sends the TC string with each decision: checked, stored as evidence on
every event of the decision, and echoed in the receipt."""

import uuid
from base64 import urlsafe_b64encode

import pytest
from rest_framework.test import APIClient

from consent.models import ConsentEvent
from cookies.tcstring import decode
from tests.cookies.tcf_helpers import CMP_ID, make_tcf_site

pytestmark = pytest.mark.django_db

# Written by the banner's TCF chunk (static/consent/src/tcf/encode.js) for CMP 300 on
# 2026-11-28: Core + DisclosedVendors + PublisherTC.
TC = "CQuZP8AQuZP8AEsACBFRB4FoAPIAAEIAAAqIAyQAoABAAMAGQC84AIC8wAgkAGAAYACjgAIC8w.IF5wA4ABAAMAGQBeYA.cAAAAAAAAUA"
AC = "2~89.1097~dv."


def header(**fields):
    """A core segment with the given header fields (others valid), for strings that must fail."""
    values = {
        "version": 2,
        "created": 17958240000,  # 2026-11-28, deciseconds
        "last_updated": 17958240000,
        "cmp_id": CMP_ID,
        "cmp_version": 2,
        "consent_screen": 1,
        "consent_language": 4 * 64 + 13,  # EN
        "vendor_list_version": 120,
        "policy_version": 5,
        "is_service_specific": 1,
        **fields,
    }
    widths = [("version", 6), ("created", 36), ("last_updated", 36), ("cmp_id", 12), ("cmp_version", 12)]
    widths += [("consent_screen", 6), ("consent_language", 12), ("vendor_list_version", 12), ("policy_version", 6)]
    widths += [("is_service_specific", 1)]
    bits = "".join(format(values[name], f"0{n}b") for name, n in widths) + "0" * 120
    bits += "0" * (-len(bits) % 8)
    return urlsafe_b64encode(int(bits, 2).to_bytes(len(bits) // 8, "big")).decode().rstrip("=")


@pytest.fixture(autouse=True)
def cmp_id(settings):
    settings.TCF_CMP_ID = CMP_ID


@pytest.fixture
def daily(db):
    return make_tcf_site()


def post(body, key="daily"):
    return APIClient().post(f"/api/v1/sites/{key}/decisions", body, format="json")


def decision(**extra):
    return {
        "id": str(uuid.uuid4()),
        "visitor_id": "v-1",
        "decisions": {"analytics": "granted", "advertising": "granted"},
        "method": "accept_all",
        "banner_version": 1,
        "language": "fr",
        **extra,
    }


def test_the_python_reader_agrees_with_the_chunk():
    fields = decode(TC)
    assert (fields["version"], fields["cmp_id"], fields["cmp_version"]) == (2, CMP_ID, 2)
    assert (fields["consent_language"], fields["publisher_cc"], fields["policy_version"]) == ("FR", "FR", 5)
    assert fields["created"] == fields["last_updated"] == 17958240000
    assert fields["segments"] == [1, 3]


def test_the_tc_string_is_stored_with_every_event_and_echoed_in_the_receipt(daily):
    response = post(decision(tc_string=TC, ac_string=AC))
    assert response.status_code == 201, response.json()
    assert response.json()["tcf"] == {"tc_string": TC, "ac_string": AC}
    events = ConsentEvent.objects.filter(site=daily)
    assert events.count() == 2
    assert all(e.evidence["tcf"] == {"tc_string": TC, "ac_string": AC} for e in events)


@pytest.mark.parametrize(
    ("tc_string", "message"),
    [
        ("not a tc string!", "base64url"),
        (header(version=1), "Only version 2"),
        (header(policy_version=3), "no longer valid"),
        (header(is_service_specific=0), "IsServiceSpecific must be 1"),
        (header(cmp_id=7), "CmpId 7 is not this platform's (300)"),
        (header(last_updated=17958240010), "Created and LastUpdated must be the same"),
        (header(created=17958240010, last_updated=17958240010), "must be a day"),
        (header(), "DisclosedVendors segment is missing"),
        (header() + ".IAAA.QAAA", "Unknown segment type"),
        ("AAAA", "too short"),
        (12, "Expected a string"),
    ],
)
def test_a_string_this_cmp_could_not_have_written_is_refused(daily, tc_string, message):
    response = post(decision(tc_string=tc_string))
    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["tc_string"][0]
    assert not ConsentEvent.objects.exists()


def test_a_bad_additional_consent_string_is_refused(daily):
    response = post(decision(tc_string=TC, ac_string="3~1.2"))
    assert response.status_code == 400
    assert "Additional Consent" in response.json()["error"]["fields"]["ac_string"][0]


def test_a_site_without_tcf_takes_no_tc_string(daily):
    make_tcf_site(key="plain", enabled=False)
    response = post(decision(tc_string=TC), key="plain")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["tc_string"] == ["This site does not use IAB TCF."]


def test_decisions_without_a_tc_string_are_unchanged(daily):
    response = post(decision())
    assert response.status_code == 201 and "tcf" not in response.json()
    assert all("tcf" not in e.evidence for e in ConsentEvent.objects.all())
