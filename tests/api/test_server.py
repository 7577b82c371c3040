"""Server-to-server endpoints: API keys, subject decisions and consents, bulk checks, create_api_key."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from consent.models import ApiKey, ConsentEvent, LegalBasis, PolicyVersion, Purpose, Site
from consent.services.decisions import MAX_REF_LENGTH, record_decision
from consent.tokens import find_api_key, make_api_key


def body(**overrides):
    data = {"id": str(uuid.uuid4()), "decisions": {"marketing_email": "granted", "analytics": "granted"}}
    data.update(overrides)
    return data


def decide(site, ref, decisions, method="custom", **kw):
    return record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, method=method, ref=ref, **kw)


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer ck_000000000000_wrongsecret", "Bearer ck_\x00_x"],
)
def test_missing_or_bad_key_is_401(client, site, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    for response in (
        client.get("/api/v1/subjects/user-1/consents", **extra),
        client.post("/api/v1/consents/check", {"purpose": "analytics", "subjects": []}, format="json", **extra),
        client.get("/api/v1/audit", **extra),
        client.post("/api/v1/subjects/user-1/decisions", body(), format="json", **extra),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "auth.unauthenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_401(client, site, api_key, auth):
    ApiKey.objects.update(revoked_at=timezone.now())
    assert client.get("/api/v1/audit", **auth).status_code == 401


def test_key_of_another_site_or_without_scope_is_403(client, site, auth):
    other = Site.objects.create(key="other", name="Other")
    response = client.get("/api/v1/audit?site=other", **auth)
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.wrong_site"
    assert client.get("/api/v1/audit?site=acme", **auth).status_code == 200
    _, other_key = make_api_key(other)
    decide(site, "user-1", {"analytics": "granted"})
    foreign = client.get("/api/v1/subjects/user-1/consents?site=acme", HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert foreign.status_code == 403
    # Without ?site the other site's key only sees its own site: user-1 is unknown there.
    assert client.get("/api/v1/subjects/user-1/consents", HTTP_AUTHORIZATION=f"Bearer {other_key}").status_code == 404
    _, reader = make_api_key(site, scopes=["consents:read"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {reader}"}
    assert client.get("/api/v1/subjects/user-1/consents", **headers).status_code == 200
    denied = client.post("/api/v1/subjects/user-1/decisions", body(), format="json", **headers)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "auth.missing_scope"
    assert client.get("/api/v1/audit", **headers).status_code == 403


def test_last_used_at_is_recorded_at_most_once_a_minute(client, site, api_key, auth):
    row = ApiKey.objects.get()
    assert row.last_used_at is None
    client.get("/api/v1/audit", **auth)
    first = ApiKey.objects.get().last_used_at
    assert first is not None
    client.get("/api/v1/audit", **auth)
    assert ApiKey.objects.get().last_used_at == first


# --- subject decisions and consents ---------------------------------------------------------


def test_server_decision_defaults_to_api_method_and_is_idempotent(client, site, auth):
    data = body()
    first = client.post("/api/v1/subjects/user-42/decisions", data, format="json", **auth)
    assert first.status_code == 201
    receipt = first.json()
    assert receipt["subject"] == "user-42" and receipt["method"] == "api"
    assert receipt["decisions"]["marketing_email"] == {"state": "granted", "version": 1}
    again = client.post("/api/v1/subjects/user-42/decisions", data, format="json", **auth)
    assert again.status_code == 200 and again.json() == receipt
    assert ConsentEvent.objects.count() == 2
    assert ConsentEvent.objects.first().evidence["api_key"] == ApiKey.objects.get().prefix
    centre = client.post(
        "/api/v1/subjects/user-42/decisions",
        body(method="email_link", decisions={"marketing_email": "withdrawn"}),
        format="json",
        **auth,
    )
    assert centre.json()["decisions"]["marketing_email"] == {"state": "withdrawn", "version": 2}
    banner_method = client.post("/api/v1/subjects/user-42/decisions", body(method="accept_all"), format="json", **auth)
    assert banner_method.status_code == 400 and "method" in banner_method.json()["error"]["fields"]


def test_server_decision_is_made_under_the_policy_in_force_unless_it_names_one(client, site, auth):
    now = timezone.now()
    for version in (1, 2):
        PolicyVersion.objects.create(site=site, version=version, text=f"v{version}", published_at=now, effective_at=now)
    PolicyVersion.objects.create(
        site=site, version=3, text="v3", published_at=now, effective_at=now + timezone.timedelta(days=30)
    )
    implied = client.post("/api/v1/subjects/user-7/decisions", body(), format="json", **auth)
    assert implied.status_code == 201 and implied.json()["policy_version"] == 2  # 3 is not in force yet
    named = client.post("/api/v1/subjects/user-7/decisions", body(policy_version=1), format="json", **auth)
    assert named.status_code == 201 and named.json()["policy_version"] == 1
    unknown = client.post("/api/v1/subjects/user-7/decisions", body(policy_version=9), format="json", **auth)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"]["policy_version"] == [
        "This site has no published policy version 9 (published: 1, 2, 3)."
    ]
    assert list(ConsentEvent.objects.values_list("policy_version", flat=True)) == [2, 2, 1, 1]


def test_subject_consents_wire_format(client, site, auth):
    decide(site, "user-7", {"analytics": "granted", "advertising": "granted"}, banner_version=3, policy_version=2)
    decide(site, "user-7", {"advertising": "denied"}, vendors={"partner_ads": "denied"})
    response = client.get("/api/v1/subjects/user-7/consents", **auth)
    assert response.status_code == 200
    data = response.json()
    assert data["subject"] == "user-7"
    analytics = data["purposes"]["analytics"]
    assert analytics["state"] == "granted" and analytics["allowed"] is True and analytics["version"] == 1
    assert analytics["legal_basis"] == "consent" and analytics["needs_reconsent"] is False
    assert data["purposes"]["advertising"]["state"] == "withdrawn"
    assert data["purposes"]["surveys"]["allowed"] is True  # legitimate interest, no objection
    assert [h["purpose"] for h in data["history"]][:2] == ["analytics", "advertising"]
    assert data["history"][0]["banner_version"] == 3 and data["history"][0]["policy_version"] == 2


def test_unknown_subject_is_404(client, site, auth):
    response = client.get("/api/v1/subjects/nobody/consents", **auth)
    assert response.status_code == 404 and response.json()["error"]["code"] == "subject.not_found"


def test_overlong_subject_ref_is_400(client, site, auth):
    response = client.get("/api/v1/subjects/" + "u" * 200 + "/consents", **auth)
    assert response.status_code == 400 and "subject_ref" in response.json()["error"]["fields"]


# --- bulk check ----------------------------------------------------------------------------


def test_check_splits_allowed_and_denied(client, site, auth):
    decide(site, "user-1", {"marketing_email": "granted", "advertising": "granted"})
    decide(site, "user-2", {"marketing_email": "denied"})
    decide(site, "user-3", {"marketing_email": "granted"})
    decide(site, "user-3", {"marketing_email": "denied"})
    decide(site, "user-4", {"advertising": "granted"}, vendors={"partner_ads": "denied"})
    response = client.post(
        "/api/v1/consents/check",
        {"purpose": "marketing_email", "subjects": ["user-1", "user-2", "user-3", "stranger"]},
        format="json",
        **auth,
    )
    assert response.status_code == 200
    assert response.json() == {
        "purpose": "marketing_email",
        "allowed": ["user-1"],
        "denied": ["user-2", "user-3", "stranger"],
    }
    vendor = client.post(
        "/api/v1/consents/check",
        {"purpose": "advertising", "vendor": "partner_ads", "subjects": ["user-1", "user-4"]},
        format="json",
        **auth,
    ).json()
    assert vendor["allowed"] == ["user-1"] and vendor["denied"] == ["user-4"]


def test_check_answers_ten_thousand_subjects_in_one_call(client, site, auth):
    purpose = Purpose.objects.get(site=site, key="marketing_email")
    for n in range(0, 10_000, 500):  # every 500th subject opted in
        decide(site, f"user-{n}", {purpose.key: "granted"})
    refs = [f"user-{n}" for n in range(10_000)]
    response = client.post(
        "/api/v1/consents/check", {"purpose": "marketing_email", "subjects": refs}, format="json", **auth
    )
    assert response.status_code == 200
    data = response.json()
    assert data["allowed"] == [f"user-{n}" for n in range(0, 10_000, 500)]
    assert len(data["denied"]) == 10_000 - 20


def test_check_rejects_bad_input_naming_the_field(client, site, auth):
    def check(payload):
        return client.post("/api/v1/consents/check", payload, format="json", **auth)

    too_many = check({"purpose": "analytics", "subjects": [f"u{n}" for n in range(10_001)]})
    assert too_many.status_code == 400 and "subjects" in too_many.json()["error"]["fields"]
    unknown = check({"purpose": "telemarketing", "subjects": ["u1"]})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "check.unknown_purpose"
    assert "purpose" in unknown.json()["error"]["fields"]
    assert "subjects" in check({"purpose": "analytics", "subjects": "u1"}).json()["error"]["fields"]
    assert "subjects.1" in check({"purpose": "analytics", "subjects": ["u1", 2]}).json()["error"]["fields"]
    # Checked all at once when every reference is fine; a bad one among many is still named.
    many = [f"u{n}" for n in range(5_000)]
    for bad in ("", "x" * (MAX_REF_LENGTH + 1), None, ["u1"]):
        fields = check({"purpose": "analytics", "subjects": [*many, bad, "u-last"]}).json()["error"]["fields"]
        assert list(fields) == ["subjects.5000"], bad
    assert check({"purpose": "analytics", "subjects": [*many, "x" * MAX_REF_LENGTH]}).status_code == 200
    assert "vendor" in check({"purpose": "analytics", "subjects": [], "vendor": "nope"}).json()["error"]["fields"]
    assert "purpose" in check({"subjects": []}).json()["error"]["fields"]


def test_body_limit_is_16_kb_except_for_the_check_endpoint(client, site, auth):
    big = {"id": str(uuid.uuid4()), "decisions": {"analytics": "granted"}, "language": "x" * 20_000}
    assert client.post("/api/v1/subjects/u1/decisions", big, format="json", **auth).status_code == 413
    refs = [f"some-long-reference-{n:06d}" for n in range(10_000)]  # ~300 KB
    ok = client.post("/api/v1/consents/check", {"purpose": "analytics", "subjects": refs}, format="json", **auth)
    assert ok.status_code == 200
    huge = client.post(
        "/api/v1/consents/check", {"purpose": "analytics", "subjects": ["x" * 120] * 9_000}, format="json", **auth
    )
    assert huge.status_code == 413


def test_legitimate_interest_check_allows_unknown_subjects(client, site, auth):
    Purpose.objects.filter(site=site, key="surveys").update(legal_basis=LegalBasis.LEGITIMATE_INTEREST)
    decide(site, "objector", {"surveys": "denied"})
    data = client.post(
        "/api/v1/consents/check", {"purpose": "surveys", "subjects": ["objector", "new"]}, format="json", **auth
    ).json()
    assert data == {"purpose": "surveys", "allowed": ["new"], "denied": ["objector"]}


# --- create_api_key ------------------------------------------------------------------------


def test_create_api_key_prints_a_working_key_on_its_last_line(client, site):
    out = io.StringIO()
    call_command("create_api_key", "acme", "--name", "crm", "--scopes", "consents:read,audit:read", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    row = find_api_key(key)
    assert row is not None and row.name == "crm" and row.scopes == ["consents:read", "audit:read"]
    assert key not in ApiKey.objects.values_list("key_hash", flat=True)
    assert client.get("/api/v1/audit", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_create_api_key_refuses_unknown_site_or_scope(site):
    with pytest.raises(CommandError):
        call_command("create_api_key", "nope", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_key", "acme", "--scopes", "everything", stdout=io.StringIO())
