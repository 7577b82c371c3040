"""One-click unsubscribe (RFC 8058) and the header values the server API hands to mailers."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from consent.models import AuditEvent
from tests.people import events, make_user


@pytest.fixture
def api(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


@pytest.fixture
def subscriber(site):
    return make_user(site, decisions={"marketing_email": "granted"})


def _headers(api, purpose="marketing_email", ref="user-42"):
    return api.get(f"/api/v1/subjects/{ref}/unsubscribe-headers", {"purpose": purpose})


def test_headers_name_a_signed_https_url_and_one_click(api, subscriber, settings):
    settings.PUBLIC_BASE_URL = "https://consent.example.com"
    response = _headers(api)
    assert response.status_code == 200
    body = response.json()
    assert body["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert body["List-Unsubscribe"].startswith("<https://consent.example.com/u/")
    assert body["List-Unsubscribe"].endswith("/>")


def test_header_errors_name_the_field(api, subscriber, client):
    assert _headers(api, purpose="").json()["error"]["fields"] == {"purpose": ["This parameter is required."]}
    assert "purpose" in _headers(api, purpose="nope").json()["error"]["fields"]
    assert _headers(api, ref="user-unknown").status_code == 404
    legal = _headers(api, purpose="legal_notices")
    assert legal.status_code == 400 and legal.json()["error"]["code"] == "unsubscribe.not_optional"
    assert APIClient().get("/api/v1/subjects/user-42/unsubscribe-headers?purpose=analytics").status_code == 401


def test_get_confirms_without_changing_anything_and_post_withdraws_once(api, subscriber):
    url = _headers(api).json()["List-Unsubscribe"][1:-1]
    path = "/" + url.split("/", 3)[3]
    browser = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token: the signed URL authorises
    page = browser.get(path)
    assert page.status_code == 200
    assert 'name="List-Unsubscribe" value="One-Click"' in page.content.decode()
    assert [e.decision for e in events(subscriber, purpose__key="marketing_email")] == ["granted"]

    first = browser.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert first.status_code == 200
    assert "You are unsubscribed" in first.content.decode()
    [granted, withdrawn] = events(subscriber, purpose__key="marketing_email")
    assert (withdrawn.decision, withdrawn.method) == ("withdrawn", "email_link")

    replay = browser.post(path, {"List-Unsubscribe": "One-Click"})
    assert replay.status_code == 200
    assert len(events(subscriber, purpose__key="marketing_email")) == 2
    assert "You are unsubscribed" in browser.get(path).content.decode()


def test_unsubscribe_from_a_legitimate_interest_purpose_is_an_objection(api, site):
    subject = make_user(site, "user-7", decisions={"analytics": "granted"})
    path = "/" + _headers(api, purpose="surveys", ref="user-7").json()["List-Unsubscribe"][1:-1].split("/", 3)[3]
    Client().post(path, {"List-Unsubscribe": "One-Click"})
    [event] = events(subject, purpose__key="surveys")
    assert (event.decision, event.method) == ("denied", "email_link")


def test_bad_signature_and_missing_body_are_4xx(api, subscriber):
    path = "/" + _headers(api).json()["List-Unsubscribe"][1:-1].split("/", 3)[3]
    tampered = path[:-5] + "AAAA/"
    response = Client().post(tampered, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert Client().get("/u/garbage/").status_code == 400
    assert Client().post(path, {}).status_code == 400
    assert Client().put(path).status_code == 405
    assert len(events(subscriber)) == 1
    assert not AuditEvent.objects.filter(action__startswith="unsubscribe").exists()
