"""The console: second-factor sign-in and its throttle, read-only ledger, banner and policy
publishing, subject look-up, rights requests and audited exports (real HTTP, real database)."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from consent.models import AuditEvent, ConsentEvent, Notification, PolicyVersion, RightsRequest
from consent.roles import AUDITOR, DPO
from consent.services.audit import record_audit
from consent.services.decisions import record_decision
from consent.services.subjects import resolve_subject
from console.signin import FAILED_MESSAGE
from cookies.models import BannerVersion
from cookies.services import publish_banner
from features.rights import open_rights_request
from tests.staff import (
    PASSWORD,
    current_code,
    make_staff,
    sign_in,
)

TEXTS = {
    "title": "We value your privacy",
    "body": "We use cookies for statistics and ads.",
    "accept_all": "Accept all",
    "reject_all": "Reject all",
    "choose": "Choose",
    "save": "Save",
    "close": "Close",
}


@pytest.fixture
def dpo(site):
    user, device = make_staff("dpo", DPO)
    return sign_in(Client(), user, device)


def decide(site, decisions, **kw):
    kw.setdefault("method", "custom")
    return record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, **kw)


# --- sign-in ------------------------------------------------------------------------------------


def _login(client, username, password=PASSWORD, token="", ip="10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "otp_token": token},
        REMOTE_ADDR=ip,
    )


def test_sign_in_needs_the_password_and_a_current_totp_code(site):
    _, device = make_staff("dpo", DPO)
    client = Client()
    no_code = _login(client, "dpo")
    assert no_code.status_code == 200 and FAILED_MESSAGE in no_code.content.decode()
    wrong = _login(client, "dpo", token="000000" if current_code(device) != "000000" else "111111")
    assert wrong.status_code == 200
    assert client.get("/admin/consent/site/").status_code == 302
    assert FAILED_MESSAGE in wrong.content.decode() and "Invalid token" not in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django_otp itself delays a device after a wrong code
    ok = _login(client, "dpo", token=current_code(device))
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get("/admin/consent/site/").status_code == 200


def test_failed_sign_ins_are_throttled_per_username_and_address(site):
    _, device = make_staff("dpo", DPO)
    client = Client()
    for _ in range(5):
        assert _login(client, "dpo", password="wrong").status_code == 200
    refused = _login(client, "dpo", token=current_code(device))
    assert refused.status_code == 200
    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert client.get("/admin/consent/site/").status_code == 302
    # Another address is not locked out by someone else's failures.
    other = Client()
    assert _login(other, "dpo", token=current_code(device), ip="10.0.0.2").status_code == 302


def test_without_the_otp_requirement_a_password_is_enough(site, settings):
    settings.CONSOLE_REQUIRE_OTP = False
    make_staff("dpo", DPO)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "dpo", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/consent/site/").status_code == 200


def test_add_totp_device_prints_an_otpauth_uri(site):
    make_staff("dpo", DPO)
    out = io.StringIO()
    call_command("add_totp_device", "dpo", "--no-qr", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("otpauth://totp/")
    assert "secret=" in out.getvalue()


def test_two_factor_page_enrolls_a_device_with_a_code(dpo):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert dpo.post("/admin/console/two-factor/", {"op": "start", "name": "backup"}).status_code == 302
    page = dpo.get("/admin/console/two-factor/").content.decode()
    assert "<svg" in page and "otpauth://" in page
    pending = TOTPDevice.objects.get(name="backup")
    assert not pending.confirmed
    dpo.post("/admin/console/two-factor/", {"op": "confirm", "token": current_code(pending)})
    pending.refresh_from_db()
    assert pending.confirmed
    assert AuditEvent.objects.filter(action="totp.enrolled").exists()


# --- the ledger and the trail are read-only ------------------------------------------------------


def test_ledger_and_trail_cannot_be_changed_even_by_a_superuser(site):
    user, device = make_staff("root", superuser=True)
    client = sign_in(Client(), user, device)
    decide(site, {"analytics": "granted"}, visitor_id="v-1")
    event = ConsentEvent.objects.get()
    audit = record_audit(action="test.entry", site=site)
    for base, pk in (("/admin/consent/consentevent/", event.pk), ("/admin/consent/auditevent/", audit.pk)):
        assert client.get(base).status_code == 200
        assert client.get(f"{base}{pk}/change/").status_code == 200  # view only
        assert client.post(f"{base}{pk}/change/", {}).status_code == 403
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 403
    assert ConsentEvent.objects.filter(pk=event.pk, decision="granted").exists()


def test_published_banner_versions_are_read_only(dpo, site):
    published = publish_banner(site, {"en": TEXTS})
    page = dpo.get(f"/admin/cookies/bannerversion/{published.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert dpo.post(f"/admin/cookies/bannerversion/{published.pk}/change/", {"texts": "{}"}).status_code == 403
    assert dpo.post(f"/admin/cookies/bannerversion/{published.pk}/delete/", {"post": "yes"}).status_code == 403


# --- banner editor -------------------------------------------------------------------------------


def _banner_form(languages, **overrides):
    data = {}
    for lang in languages:
        for key, value in TEXTS.items():
            data[f"{lang}__{key}"] = f"{value} [{lang}]"
    data.update(overrides)
    return data


def test_banner_editor_previews_each_language_and_publishes_a_version(dpo, site):
    preview = dpo.post("/admin/console/banner/acme/", _banner_form(["en", "fr"], op="preview"))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "We value your privacy [en]" in html and "We value your privacy [fr]" in html
    assert 'lang="fr"' in html and "/admin/console/banner/acme/preview/?" in html
    assert not BannerVersion.objects.exists()

    incomplete = dpo.post("/admin/console/banner/acme/", _banner_form(["en"], op="publish", en__reject_all=""))
    assert "Missing: reject_all" in incomplete.content.decode()
    assert not BannerVersion.objects.filter(published_at__isnull=False).exists()

    published = dpo.post("/admin/console/banner/acme/", _banner_form(["en", "fr"], op="publish"))
    assert published.status_code == 302
    version = BannerVersion.objects.get(published_at__isnull=False)
    assert version.version == 1 and version.texts["fr"]["title"] == "We value your privacy [fr]"
    assert version.snapshot["purposes"]
    entry = AuditEvent.objects.get(action="banner.published")
    assert entry.actor_label == "dpo" and entry.data["languages"] == ["en", "fr"]


# --- policies --------------------------------------------------------------------------------------


def test_policy_draft_is_published_from_the_console_with_its_campaign(dpo, site):
    subject_id = resolve_subject(site, user_id="u-1", email="u1@example.test")
    decide(site, {"analytics": "granted"}, user_id="u-1")
    assert subject_id
    add = dpo.post(
        "/admin/consent/policyversion/add/",
        {
            "site": site.pk,
            "kind": "privacy",
            "text": "We now share analytics with a new processor.",
            "change_summary": "New analytics processor",
            "material": "on",
            "affected_purposes": [site.purposes.get(key="analytics").pk],
        },
    )
    assert add.status_code == 302
    draft = PolicyVersion.objects.get()
    page = dpo.get(f"/admin/consent/policyversion/{draft.pk}/change/").content.decode()
    assert "Publishing is final" in page and "We now share analytics" in page
    published = dpo.post(f"/admin/consent/policyversion/{draft.pk}/publish/", {})
    assert published.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 1 and draft.is_published
    assert Notification.objects.filter(policy_version=draft).count() == 1
    page = dpo.get(f"/admin/consent/policyversion/{draft.pk}/change/").content.decode()
    assert 'id="campaign-progress"' in page
    assert dpo.post(f"/admin/consent/policyversion/{draft.pk}/change/", {"text": "x"}).status_code == 403
    assert AuditEvent.objects.filter(action="policy.published", actor_label="dpo").exists()


# --- subjects --------------------------------------------------------------------------------------


def test_subject_look_up_by_user_id_email_or_visitor_id(dpo, site):
    decide(site, {"analytics": "granted", "advertising": "granted"}, visitor_id="v-77", user_id="user-42")
    decide(site, {"advertising": "denied"}, user_id="user-42")
    subject_id = resolve_subject(site, user_id="user-42", create=False)
    from consent.models import Subject

    Subject.objects.filter(pk=subject_id).update(email="ada@example.test")
    for query in ("user-42", "v-77", "ADA@example.test"):
        html = dpo.get("/admin/console/subjects/", {"q": query}).content.decode()
        assert f"/admin/console/subjects/{subject_id}/" in html, query
    assert "Nobody is known" in dpo.get("/admin/console/subjects/", {"q": "user-4"}).content.decode()
    detail = dpo.get(f"/admin/console/subjects/{subject_id}/").content.decode()
    assert "Withdrawn" in detail and "accept" not in detail.split('id="history"')[0].lower()[-10:]
    assert detail.count("<tr><td>") >= 3  # three events in the history
    # The site's reference, purpose names and times to the minute, never ids, keys or ISO strings.
    assert "<title>user-42 at Acme" in detail and not re.search(r"Subject (ID )?\d", detail)
    history = detail.split('id="history"')[1]
    assert "<td>Advertising</td>" in history and "<td>advertising</td>" not in history
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", detail)
    assert re.search(r"<td>\d{2} \w{3} \d{4}, \d{2}:\d{2} UTC</td>", history)
    assert AuditEvent.objects.filter(action="subject.viewed", subject_id=subject_id, actor_label="dpo").exists()
    csv = b"".join(dpo.get(f"/admin/console/subjects/{subject_id}/", {"format": "csv"}).streaming_content).decode()
    assert csv.splitlines()[0].startswith("recorded_at,purpose")
    assert len(csv.splitlines()) == 4
    assert AuditEvent.objects.filter(action="subject.exported").exists()


# --- rights requests -------------------------------------------------------------------------------


def test_rights_queue_marks_overdue_extends_with_a_reason_and_completes(dpo, site):
    subject_id = resolve_subject(site, user_id="u-9")
    old = open_rights_request(site, subject_id, "access", now=timezone.now() - timedelta(days=40))
    fresh = open_rights_request(site, subject_id, "portability")
    overdue_list = dpo.get("/admin/consent/rightsrequest/", {"deadline": "overdue"}).content.decode()
    assert "overdue" in overdue_list and f"/admin/consent/rightsrequest/{old.pk}/change/" in overdue_list
    assert f"/admin/consent/rightsrequest/{fresh.pk}/change/" not in overdue_list

    url = f"/admin/consent/rightsrequest/{fresh.pk}/process/"
    dpo.post(url, {"op": "extend", "months": "2", "reason": ""})
    fresh.refresh_from_db()
    assert fresh.status == "open"
    due = fresh.due_at
    dpo.post(url, {"op": "extend", "months": "2", "reason": "Many systems to search"})
    fresh.refresh_from_db()
    assert fresh.status == "extended" and fresh.due_at > due
    dpo.post(url, {"op": "complete", "resolution": "Export sent"})
    fresh.refresh_from_db()
    assert fresh.status == "completed" and fresh.completed_by.username == "dpo"
    actions = set(AuditEvent.objects.filter(actor_label="dpo").values_list("action", flat=True))
    assert {"rights.extended", "rights.completed"} <= actions
    assert RightsRequest.objects.get(pk=old.pk).status == "open"


# --- audit trail export ----------------------------------------------------------------------------


def test_audit_trail_export_follows_the_filters_and_is_itself_audited(site):
    user, device = make_staff("auditor", AUDITOR)
    client = sign_in(Client(), user, device)
    record_audit(action="banner.published", site=site, actor_label="someone")
    record_audit(action='=HYPERLINK("http://evil")', site=site, actor_label="x")
    record_audit(action="policy.published", site=site, actor_label="someone")
    page = client.get("/admin/consent/auditevent/", {"action": "banner.published"}).content.decode()
    assert "export.csv?action=banner.published" in page
    response = client.get("/admin/consent/auditevent/export.csv", {"action": "banner.published"})
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert rows[0].startswith("uuid,created_at,action")
    assert len(rows) == 2 and ",banner.published," in rows[1]
    everything = b"".join(client.get("/admin/consent/auditevent/export.csv").streaming_content).decode()
    assert "'=HYPERLINK" in everything  # formulas are neutralised for spreadsheets
    exported = AuditEvent.objects.filter(action="auditevent.exported", actor_label="auditor")
    assert exported.count() == 2 and exported.first().data["filters"] in ({}, {"action": "banner.published"})


def test_rights_queue_names_people_by_the_sites_reference(dpo, site):
    subject_id = resolve_subject(site, user_id="crm-001203")
    request = open_rights_request(site, subject_id, "access", now=timezone.now() - timedelta(days=40))
    html = dpo.get("/admin/consent/rightsrequest/").content.decode()
    assert f'<a href="/admin/console/subjects/{subject_id}/">crm-001203</a>' in html
    assert "Subject ID" not in html and f"subject {subject_id}" not in html
    assert "overdue" in html
    page = dpo.get(f"/admin/consent/rightsrequest/{request.pk}/change/").content.decode()
    assert "crm-001203" in page and f"subject {subject_id}" not in page
