"""The GPP string the banner sends with a decision is checked for shape and kept in the evidence."""

import pytest

from consent.models import ConsentEvent, Method
from features.gpp import gpp_error, section_ids
from tests.api.banner_support import decision, post

# Written by the banner (static/consent/src/gpp.js) and read back by IAB's own decoder in the
# Node tests: usnat + usca, opted out, GPC set.
CA_OPTED_OUT = "DBABrw~CVQVAAAAAACA.YA~BUUAAACA.YA"


pytestmark = pytest.mark.usefixtures("banner")


@pytest.mark.parametrize(
    "header, ids",
    [("DBABrw", [7, 8]), ("DBACLMA", [7, 9]), ("DBACLDA", [7, 12]), ("DBABLA", [7])],
)
def test_header_section_ids_are_read(header, ids):
    assert section_ids(header) == ids


def test_string_from_the_banner_is_stored_in_the_evidence(client, site):
    response = post(client, decision(gpp=CA_OPTED_OUT, decisions={"advertising": "denied"}))
    assert response.status_code == 201, response.json()
    events = list(ConsentEvent.objects.all())
    assert events and all(e.evidence["gpp"] == CA_OPTED_OUT for e in events)


def test_gpc_denials_carry_the_string_too(client, site, settings):
    settings.GEO_HEADER = "X-Geo"
    response = post(
        client, decision(gpp=CA_OPTED_OUT, decisions={"analytics": "granted"}), HTTP_X_GEO="US-CA", HTTP_SEC_GPC="1"
    )
    assert response.status_code == 201, response.json()
    gpc = ConsentEvent.objects.filter(method=Method.GPC)
    assert gpc.exists()
    assert {e.evidence["gpp"] for e in ConsentEvent.objects.all()} == {CA_OPTED_OUT}


def test_without_a_string_no_gpp_evidence(client, site):
    assert post(client, decision()).status_code == 201
    assert not any("gpp" in (e.evidence or {}) for e in ConsentEvent.objects.all())


@pytest.mark.parametrize(
    "value, message",
    [
        (12, "Expected a GPP string of 1-2048"),
        ("", "Expected a GPP string of 1-2048"),
        ("x" * 2049, "Expected a GPP string of 1-2048"),
        ("DBABrw~CVQ VAAA", "Expected a GPP string"),
        ("BBABrw~CVQVAAAAAACA", "Expected a GPP string"),  # type 1 is no GPP header
        ("DBABrw~CVQVAAAAAACA.YA", "lists 2 sections but 1 follow"),
        ("DBABrw", "lists 2 sections but 0 follow"),
        ("<script>", "Expected a GPP string"),
    ],
)
def test_malformed_strings_are_a_400_naming_gpp_and_nothing_is_recorded(client, site, value, message):
    response = post(client, decision(gpp=value))
    assert response.status_code == 400
    body = response.json()["error"]
    assert message in body["fields"]["gpp"][0]
    assert not ConsentEvent.objects.exists()


def test_gpp_error_accepts_the_banners_strings():
    assert gpp_error(CA_OPTED_OUT) is None
    assert gpp_error("DBABLA~CVQqAAAAAACA.QA") is None
