"""IAB TCF on the server: the GVL (update_gvl), a site's TCF settings, what the embed and the
vendor-list endpoint serve, re-asking after a GVL change, and the system check."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings

from consent.models import Site
from cookies.checks import tcf_needs_cmp_id
from cookies.models import GlobalVendorList, TcfSettings
from cookies.tcf import load_gvl, save_settings
from cookies.wire import embed_config
from tests.cookies.tcf_helpers import AC_IDS, CMP_ID, GVL_FILE, VENDORS, gvl_data, make_tcf_site

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cmp_id(settings):
    settings.TCF_CMP_ID = CMP_ID
    settings.TCF_CMP_VERSION = 2


def test_update_gvl_loads_a_file_and_its_translation(capsys):
    site = make_tcf_site()
    gvl = GlobalVendorList.objects.get()
    assert (gvl.version, gvl.tcf_policy_version) == (120, 5)
    assert gvl.data["vendors"]["755"]["name"] == "Test Ad Manager"
    assert gvl.translations["fr"]["purposes"]["1"]["name"].startswith("Stocker")
    call_command("update_gvl", file=str(GVL_FILE))
    assert "already loaded" in capsys.readouterr().out
    assert GlobalVendorList.objects.count() == 1 and site.tcf.reask_gvl_version == 120


def test_update_gvl_refuses_what_is_not_a_v3_list(tmp_path):
    bad = tmp_path / "list.json"
    bad.write_text(json.dumps({**gvl_data(), "gvlSpecificationVersion": 2}))
    with pytest.raises(CommandError, match="gvlSpecificationVersion must be 3"):
        call_command("update_gvl", file=str(bad))
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("update_gvl", file=str(bad))
    assert not GlobalVendorList.objects.exists()


def test_update_gvl_downloads_from_the_configured_host(tmp_path, settings):
    (tmp_path / "vendor-list.json").write_text(GVL_FILE.read_text())
    settings.TCF_GVL_URL = tmp_path.as_uri() + "/"
    call_command("update_gvl", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
    assert GlobalVendorList.objects.get().version == 120


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vendor_ids", [0], "Out of range"),
        ("vendor_ids", "755", "list of whole numbers"),
        ("publisher_cc", "fr", "Two capital letters"),
        ("publisher_purposes", [25], "Out of range"),
        ("publisher_restrictions", [{"purpose": 1, "type": 2, "vendors": [2]}], "purpose 1 never rests"),
        ("publisher_restrictions", [{"purpose": 2, "type": 3, "vendors": [2]}], "type must be 0"),
        ("publisher_restrictions", [{"purpose": 2, "type": 1, "vendors": []}], "non-empty list"),
    ],
)
def test_settings_a_tc_string_cannot_carry_are_refused(site, field, value, message):
    tcf = TcfSettings(site=site, enabled=True, **{field: value})
    with pytest.raises(ValidationError) as error:
        save_settings(tcf)
    assert message in str(error.value.message_dict[field])
    assert not TcfSettings.objects.exists()


def test_the_embed_of_a_tcf_site_names_the_chunk_and_its_vendors():
    plain = make_tcf_site(key="plain", enabled=False)
    assert "chunks" not in embed_config(plain) and "tcf" not in embed_config(plain)
    daily = make_tcf_site()
    config = embed_config(daily, "fr")
    tcf = config["tcf"]
    assert config["chunks"] == [tcf["chunk"]] and tcf["chunk"].endswith("consent/tcf.js")
    assert (tcf["cmp_id"], tcf["cmp_version"], tcf["gdpr_applies"]) == (CMP_ID, 2, True)
    assert (tcf["gvl_version"], tcf["policy_version"], tcf["publisher_cc"]) == (120, 5, "FR")
    assert tcf["gvl_url"] == "/c/daily/tcf/vendor-list.json?lang=fr"
    assert tcf["vendors"]["28"] == [[1, 2, 3], [7], [], [1]]
    assert sorted(tcf["vendors"], key=int) == [str(v) for v in VENDORS]
    assert tcf["ac_ids"] == AC_IDS and tcf["restrictions"] == [{"purpose": 2, "type": 1, "vendors": [2, 755]}]


def test_an_opt_out_site_says_the_gdpr_does_not_apply():
    daily = make_tcf_site()
    Site.objects.filter(pk=daily.pk).update(regime="opt_out")
    daily.refresh_from_db()
    assert embed_config(daily)["tcf"]["gdpr_applies"] is False


def test_the_gdpr_applies_by_the_visitors_place_not_the_sites_default():
    daily = make_tcf_site()  # an opt-in site by default
    assert embed_config(daily, jurisdiction="FR")["tcf"]["gdpr_applies"] is True
    assert embed_config(daily, jurisdiction="US-CA")["tcf"]["gdpr_applies"] is False


def test_the_vendor_list_is_served_from_this_host_with_the_sites_vendors_only(client):
    make_tcf_site()
    response = client.get("/c/daily/tcf/vendor-list.json?lang=fr", HTTP_ACCEPT_ENCODING="identity")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    body = json.loads(response.content)
    assert body["vendorListVersion"] == 120 and body["language"] == "fr"
    assert sorted(body["vendors"], key=int) == [str(v) for v in VENDORS]
    assert body["purposes"]["1"]["name"] == "Stocker et/ou accéder à des informations sur un appareil"
    assert body["vendors"]["755"]["dataRetention"]["stdRetention"] == 390
    english = json.loads(client.get("/c/daily/tcf/vendor-list.json?lang=en").content)
    assert english["purposes"]["1"]["name"] == "Store and/or access information on a device"


def test_the_vendor_list_of_a_site_without_tcf_is_404_and_a_bad_language_400(client, site):
    assert client.get("/c/acme/tcf/vendor-list.json").status_code == 404  # no published banner
    make_tcf_site(key="plain", enabled=False)
    response = client.get("/c/plain/tcf/vendor-list.json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "tcf.not_enabled"
    response = client.get("/c/plain/tcf/vendor-list.json?lang=<x>")
    assert response.status_code == 400 and "language tag" in response.json()["error"]["message"]


def test_the_stub_is_served_as_javascript(client):
    response = client.get("/c/tcf-stub.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert b"__tcfapiLocator" in response.content


def test_a_new_gvl_version_adding_a_purpose_to_a_chosen_vendor_asks_again():
    daily = make_tcf_site()
    assert daily.tcf.reask_gvl_version == 120
    data = gvl_data()
    data["vendorListVersion"] = 121
    load_gvl(data)  # nothing added
    daily.tcf.refresh_from_db()
    assert daily.tcf.reask_gvl_version == 120
    data["vendorListVersion"] = 122
    data["vendors"]["28"]["purposes"].append(4)
    load_gvl(data)
    daily.tcf.refresh_from_db()
    assert daily.tcf.reask_gvl_version == 122
    assert embed_config(daily)["tcf"]["reask"] == 122


def test_a_gvl_change_to_a_vendor_the_site_does_not_use_asks_nothing():
    daily = make_tcf_site()
    data = gvl_data()
    data["vendorListVersion"] = 121
    data["vendors"]["999"]["purposes"].append(4)
    load_gvl(data)
    daily.tcf.refresh_from_db()
    assert daily.tcf.reask_gvl_version == 120


def test_choosing_a_new_vendor_asks_again():
    daily = make_tcf_site()
    data = gvl_data()
    data["vendorListVersion"] = 121
    load_gvl(data)
    tcf = TcfSettings.objects.get(site=daily)
    assert tcf.reask_gvl_version == 120
    tcf.vendor_ids = [2, 8]
    save_settings(tcf)
    assert tcf.reask_gvl_version == 120  # fewer vendors: nothing new to disclose
    tcf.vendor_ids = [2, 8, 28]
    save_settings(tcf)
    assert tcf.reask_gvl_version == 121


def test_system_check_warns_when_a_site_uses_tcf_without_a_cmp_id():
    make_tcf_site()
    assert tcf_needs_cmp_id() == []
    with override_settings(TCF_CMP_ID=0):
        warnings = tcf_needs_cmp_id()
    assert [w.id for w in warnings] == ["cookies.W001"]
