"""Each role sees and does only its part of the console (HTTP requests as each role)."""

import socket
import uuid

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from consent.models import AuditEvent, Purpose, RightsRequest, Webhook
from consent.roles import AUDITOR, DPO, EDITOR, PERSONAL_MODELS, setup_roles
from consent.services.decisions import record_decision
from consent.services.subjects import resolve_subject
from features.rights import open_rights_request
from tests.staff import make_staff, sign_in

CONFIG_PAGES = [
    "/admin/consent/site/",
    "/admin/consent/purpose/",
    "/admin/consent/vendor/",
    "/admin/cookies/cookiedeclaration/",
    "/admin/cookies/bannerversion/",
    "/admin/cookies/observedcookie/",
    "/admin/console/dashboard/",
]
PERSONAL_PAGES = [
    "/admin/consent/subject/",
    "/admin/consent/consentevent/",
    "/admin/consent/auditevent/",
    "/admin/consent/rightsrequest/",
    "/admin/consent/notification/",
    "/admin/consent/webhook/",
    "/admin/consent/webhookdelivery/",
    "/admin/console/subjects/",
    "/admin/consent/auditevent/export.csv",
]


@pytest.fixture
def staff(site):
    users = {}
    for role in (DPO, EDITOR, AUDITOR):
        user, device = make_staff(role.lower(), role)
        users[role] = sign_in(Client(), user, device)
    return users


@pytest.fixture
def request_row(site):
    subject_id = resolve_subject(site, user_id="u-1", email="u1@example.test")
    record_decision(site, receipt_id=uuid.uuid4(), decisions={"analytics": "granted"}, method="custom", user_id="u-1")
    return open_rights_request(site, subject_id, "access")


def test_only_a_dpo_configures_webhooks_and_sees_their_secret(site, staff, monkeypatch):
    # The endpoint's name must resolve to a public address to be saved; no DNS in tests.
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: public)
    hook = Webhook.objects.create(site=site, url="https://hooks.acme.test/consent")
    page = staff[DPO].get(f"/admin/consent/webhook/{hook.pk}/change/")
    assert page.status_code == 200 and hook.secret in page.content.decode()
    assert staff[AUDITOR].get(f"/admin/consent/webhook/{hook.pk}/change/").status_code == 200
    added = staff[DPO].post(
        "/admin/consent/webhook/add/",
        {"site": site.pk, "url": "https://crm.acme.test/hooks", "active": "on"},
    )
    assert added.status_code == 302 and Webhook.objects.filter(url="https://crm.acme.test/hooks").exists()
    assert AuditEvent.objects.filter(action="webhook.added").exists()
    refused = staff[AUDITOR].post("/admin/consent/webhook/add/", {"site": site.pk, "url": "https://x.test/"})
    assert refused.status_code == 403


def test_setup_roles_is_idempotent_and_keeps_editors_away_from_personal_data(db):
    first = {name: set(g.permissions.values_list("codename", flat=True)) for name, g in setup_roles().items()}
    second = {name: set(g.permissions.values_list("codename", flat=True)) for name, g in setup_roles().items()}
    assert first == second
    assert Group.objects.filter(name__in=[DPO, EDITOR, AUDITOR]).count() == 3
    editor = first[EDITOR]
    for model in PERSONAL_MODELS["consent"]:
        assert not any(code.endswith(f"_{model}") for code in editor), model
    assert {"change_purpose", "add_cookiedeclaration", "publish_bannerversion"} <= editor
    auditor = first[AUDITOR]
    assert all(code.startswith("view_") for code in auditor - {"export_data"})
    assert "export_data" in auditor and "change_rightsrequest" not in auditor
    assert {"publish_policyversion", "change_rightsrequest", "export_data", "view_auditevent"} <= first[DPO]


@pytest.mark.parametrize("url", CONFIG_PAGES)
def test_configuration_pages_are_open_to_every_role(staff, url):
    for role in (DPO, EDITOR, AUDITOR):
        assert staff[role].get(url).status_code == 200, (role, url)


@pytest.mark.parametrize("url", PERSONAL_PAGES)
def test_personal_data_is_closed_to_editors(staff, url):
    assert staff[EDITOR].get(url).status_code == 403
    assert staff[DPO].get(url).status_code == 200
    assert staff[AUDITOR].get(url).status_code == 200


def test_index_lists_only_what_the_role_may_see(staff):
    editor = staff[EDITOR].get("/admin/").content.decode()
    auditor = staff[AUDITOR].get("/admin/").content.decode()
    assert "/admin/consent/purpose/" in editor and "/admin/consent/auditevent/" not in editor
    assert "/admin/consent/subject/" not in editor and "Subject look-up" not in editor
    assert "/admin/consent/auditevent/" in auditor and "Subject look-up" in auditor


def test_editor_edits_purposes_and_it_is_audited(staff, site):
    purpose = Purpose.objects.get(site=site, key="analytics")
    response = staff[EDITOR].post(
        f"/admin/consent/purpose/{purpose.pk}/change/",
        {
            "site": site.pk,
            "key": "analytics",
            "kind": "cookie",
            "legal_basis": "consent",
            "position": 7,
            "translations": '{"en": {"name": "Statistics"}}',
        },
    )
    assert response.status_code == 302
    purpose.refresh_from_db()
    assert purpose.position == 7
    entry = AuditEvent.objects.get(action="purpose.changed")
    assert entry.actor.username == "editor" and "position" in entry.data["fields"]


def test_auditor_reads_but_cannot_change_anything(staff, site):
    purpose = Purpose.objects.get(site=site, key="analytics")
    client = staff[AUDITOR]
    assert client.get(f"/admin/consent/purpose/{purpose.pk}/change/").status_code == 200
    post = {"site": site.pk, "key": "x", "kind": "cookie", "legal_basis": "consent", "position": 1}
    assert client.post(f"/admin/consent/purpose/{purpose.pk}/change/", post).status_code == 403
    assert client.post("/admin/consent/purpose/add/", post).status_code == 403
    assert client.post(f"/admin/consent/purpose/{purpose.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/console/banner/acme/").status_code == 403
    assert not Purpose.objects.filter(key="x").exists()
    assert Purpose.objects.filter(pk=purpose.pk).exists()


def test_only_the_dpo_processes_rights_requests(staff, request_row):
    url = f"/admin/consent/rightsrequest/{request_row.pk}/process/"
    body = {"op": "extend", "months": "2", "reason": "Complex request"}
    assert staff[EDITOR].post(url, body).status_code == 403
    assert staff[AUDITOR].post(url, body).status_code == 403
    request_row.refresh_from_db()
    assert request_row.status == "open"
    assert staff[DPO].post(url, body).status_code == 302
    request_row.refresh_from_db()
    assert request_row.status == "extended" and request_row.extension_reason == "Complex request"
    assert RightsRequest.objects.get().due_at > request_row.received_at


def test_exports_need_the_export_right(staff, site):
    assert staff[AUDITOR].get("/admin/consent/consentevent/export.csv").status_code == 200
    assert staff[EDITOR].get("/admin/console/dashboard/acme/consent-rate.csv").status_code == 403
    response = staff[AUDITOR].get("/admin/console/dashboard/acme/consent-rate.csv")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="dashboard.exported", actor_label="auditor").count() == 1
    assert AuditEvent.objects.filter(action="consentevent.exported", actor_label="auditor").count() == 1


def test_staff_without_a_verified_device_is_sent_to_sign_in(site):
    user, _ = make_staff("dpo2", DPO)
    client = Client()
    client.force_login(user)  # password only: no second factor in this session
    response = client.get("/admin/consent/site/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_user_without_a_role_sees_nothing(site):
    user, device = make_staff("nobody")
    client = sign_in(Client(), user, device)
    assert client.get("/admin/consent/site/").status_code == 403
    assert client.get("/admin/console/dashboard/").status_code == 403
