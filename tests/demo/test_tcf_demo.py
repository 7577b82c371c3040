"""The TCF demo site and its pages: created from the GVL in use, served under a strict CSP,
with the ad frame served for the other loopback host name."""

import json
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cookies.models import TcfSettings
from tests.cookies.tcf_helpers import GVL_FILE
from tests.test_html_valid import _checker

pytestmark = pytest.mark.django_db


def test_load_tcf_demo_needs_a_gvl():
    with pytest.raises(CommandError, match="run manage.py update_gvl first"):
        call_command("load_tcf_demo", stdout=StringIO(), stderr=StringIO())


def test_load_tcf_demo_switches_tcf_on_and_the_page_embeds_stub_banner_and_frame(client, settings):
    settings.TCF_CMP_ID = 300
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    out = StringIO()
    call_command("load_tcf_demo", gvl_file=str(GVL_FILE), stdout=out, stderr=StringIO())
    assert "TCF on with 4 vendors" in out.getvalue()
    tcf = TcfSettings.objects.get(site__key="tcf")
    assert tcf.enabled and tcf.vendor_ids == [2, 8, 28, 755]
    call_command("load_tcf_demo", stdout=StringIO(), stderr=StringIO())  # idempotent
    assert TcfSettings.objects.count() == 1
    page = client.get("/demo/tcf/", HTTP_HOST="127.0.0.1:8000")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("/c/tcf-stub.js") < html.index("/c/tcf.js?lang=en")
    assert 'src="http://localhost:8000/demo/tcf/_frame/"' in html
    assert page["Content-Security-Policy"].endswith("frame-src 'self' http://localhost:8000")
    frame = client.get("/demo/tcf/_frame/", HTTP_HOST="localhost:8000")
    assert frame.status_code == 200 and "X-Frame-Options" not in frame
    assert frame["Content-Security-Policy"].endswith("frame-ancestors http://127.0.0.1:8000")


def test_unknown_vendors_are_refused():
    with pytest.raises(CommandError, match="Not in GVL version 120: 5"):
        call_command("load_tcf_demo", gvl_file=str(GVL_FILE), vendors=[2, 5], stdout=StringIO(), stderr=StringIO())
    assert not TcfSettings.objects.exists()


def test_the_demo_page_without_the_site_says_how_to_create_it(client):
    response = client.get("/demo/tcf/")
    assert response.status_code == 404


def test_the_demo_pages_are_valid_html(client, settings, tmp_path):
    checker = _checker()
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    call_command("load_tcf_demo", gvl_file=str(GVL_FILE), stdout=StringIO(), stderr=StringIO())
    files = []
    for name, url, host in (("tcf", "/demo/tcf/", "127.0.0.1:8000"), ("frame", "/demo/tcf/_frame/", "localhost:8000")):
        response = client.get(url, HTTP_HOST=host)
        assert response.status_code == 200
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.content)
    result = subprocess.run(
        [*checker, "--errors-only", "--format", "json", *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert json.loads(result.stderr or '{"messages": []}')["messages"] == []
