"""The console index and navigation are grouped by what a DPO does, with no framework names."""

import re

import pytest
from django.test import Client

from consent.roles import DPO, EDITOR
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db

HEADINGS = ["Sites and texts", "Policies and notices", "People and requests", "Proof and exports", "Integrations"]


def _index(role, superuser=False):
    user, device = make_staff(role.lower(), role)
    if superuser:
        user.is_superuser = True
        user.save()
    client = sign_in(Client(), user, device)
    return client, client.get("/admin/").content.decode()


def test_the_index_is_grouped_by_task_for_a_superuser(site):
    _, html = _index(DPO, superuser=True)
    captions = re.findall(r'<span class="section">([^<]+)</span>', html)
    assert captions == [*HEADINGS, "Staff"]
    for framework_name in ("Api keys", "OTP_TOTP", "Tasks Database", "Task Results", "Authentication and"):
        assert framework_name not in html, framework_name
    assert ">API keys</a>" in html and ">Background tasks</a>" in html and ">Banner editor</a>" in html
    assert "Other" not in captions


def test_the_top_navigation_reaches_the_banner_editor_and_the_rights_queue(site):
    client, html = _index(DPO)
    nav = html.split('<nav class="console-nav"')[1].split("</nav>")[0]
    links = dict((label, url) for url, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav))
    assert links["Rights requests"] == "/admin/consent/rightsrequest/"
    assert links["Banner editor"] == "/admin/console/banner/"
    banners = client.get(links["Banner editor"]).content.decode()
    assert f'href="/admin/console/banner/{site.key}/"' in banners
    assert client.get(links["Rights requests"]).status_code == 200


def test_editors_get_no_people_group_and_no_rights_queue(site):
    _, html = _index(EDITOR)
    captions = re.findall(r'<span class="section">([^<]+)</span>', html)
    assert "People and requests" not in captions and "Sites and texts" in captions
    assert "Rights requests" not in html and "Subject look-up" not in html
