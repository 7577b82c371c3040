"""The console's TCF pages: a DPO chooses a site's vendors from the GVL in use; the GVL versions
are read-only; an editor cannot change TCF settings."""

import json

import pytest
from django.test import Client

from consent.models import AuditEvent
from consent.roles import DPO, EDITOR
from cookies.models import GlobalVendorList, TcfSettings
from cookies.wire import embed_config
from tests.cookies.tcf_helpers import make_tcf_site
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db


def form(tcf, **changes):
    data = {
        "site": tcf.site_id,
        "enabled": "on",
        "vendors": [str(v) for v in tcf.vendor_ids],
        "publisher_cc": tcf.publisher_cc,
        "publisher_purposes": json.dumps(tcf.publisher_purposes),
        "publisher_restrictions": json.dumps(tcf.publisher_restrictions),
        "google_ac_ids": json.dumps(tcf.google_ac_ids),
    }
    data.update(changes)
    return data


def test_a_dpo_chooses_the_sites_vendors_from_the_gvl():
    site = make_tcf_site()
    tcf = TcfSettings.objects.get(site=site)
    client = sign_in(Client(), *make_staff("dpo", DPO))
    url = f"/admin/cookies/tcfsettings/{tcf.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Test Geo Ads (#28)" in page.content.decode() and "Departed Vendor" not in page.content.decode()
    response = client.post(url, form(tcf, vendors=["2", "28"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    tcf.refresh_from_db()
    assert tcf.vendor_ids == [2, 28]
    assert sorted(embed_config(site)["tcf"]["vendors"], key=int) == ["2", "28"]
    assert AuditEvent.objects.filter(action="tcfsettings.changed").exists()


def test_bad_settings_are_refused_with_the_field_named():
    site = make_tcf_site()
    tcf = TcfSettings.objects.get(site=site)
    client = sign_in(Client(), *make_staff("dpo", DPO))
    response = client.post(f"/admin/cookies/tcfsettings/{tcf.pk}/change/", form(tcf, publisher_cc="fr"))
    assert response.status_code == 200
    assert "Two capital letters" in response.content.decode()
    tcf.refresh_from_db()
    assert tcf.publisher_cc == "FR"


def test_gvl_versions_are_read_only_and_editors_cannot_change_tcf():
    site = make_tcf_site()
    dpo = sign_in(Client(), *make_staff("dpo", DPO))
    gvl = GlobalVendorList.objects.get()
    assert dpo.get("/admin/cookies/globalvendorlist/").status_code == 200
    assert dpo.get("/admin/cookies/globalvendorlist/add/").status_code == 403
    assert dpo.post(f"/admin/cookies/globalvendorlist/{gvl.pk}/change/", {"version": 1}).status_code == 403
    editor = sign_in(Client(), *make_staff("ed", EDITOR))
    tcf = TcfSettings.objects.get(site=site)
    assert editor.post(f"/admin/cookies/tcfsettings/{tcf.pk}/change/", form(tcf, vendors=["2"])).status_code == 403
    tcf.refresh_from_db()
    assert tcf.vendor_ids == [2, 8, 28, 755]
