"""The channel endpoints (double opt-in subscriptions, STOP keywords, text-message opt-out links):
bad input gets a 4xx naming the field, junk never a 500, and nothing is recorded by a refusal."""

import json
import uuid

import pytest
from django.core import mail
from rest_framework.test import APIClient

from consent.models import ConsentEvent, PendingSubscription, Purpose
from consent.services.decisions import record_decision
from tests.api.test_fuzz import assert_clean, variants

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(site, api_key):
    Purpose.objects.create(site=site, key="news", kind="communication", channel="email", double_opt_in=True)
    Purpose.objects.create(site=site, key="offers_sms", kind="communication", channel="sms")
    record_decision(site, receipt_id=uuid.uuid4(), decisions={"offers_sms": "granted"}, method="api", ref="user-1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


POSTS = [
    ("/api/v1/subjects/user-1/subscriptions", {"purpose": "news", "email": "a@example.test", "language": "en"}),
    ("/api/v1/subjects/user-1/sms-keyword", {"text": "STOP", "gateway_message_id": "gw-1"}),
]


@pytest.mark.parametrize("url, base", POSTS, ids=["subscriptions", "sms-keyword"])
def test_junk_json_fields_never_crash(client, url, base):
    for body in variants(base):
        raw = json.dumps(body)  # ASCII escapes, so lone surrogates and NUL reach the server as JSON does
        assert_clean(client.post(url, raw, content_type="application/json"))


JUNK_PARTS = ["%00", "%ff%fe", "😀", "a" * 400, "..%2f..%2fetc", "%E2%80%AE", "user 1"]


def test_junk_paths_and_queries_never_crash(client):
    for part in JUNK_PARTS:
        assert_clean(client.get(f"/api/v1/subjects/user-1/sms-opt-out-link?purpose={part}"))
        assert_clean(client.get(f"/api/v1/subjects/{part}/sms-opt-out-link?purpose=offers_sms"))
        body = {"text": "STOP", "purpose": "news", "email": "c@example.test"}
        for url in (f"/api/v1/subjects/{part}/subscriptions", f"/api/v1/subjects/{part}/sms-keyword"):
            assert_clean(client.post(url, body, format="json"))


def test_bad_subscription_fields_are_named(client):
    response = client.post("/api/v1/subjects/user-1/subscriptions", {"purpose": "news", "email": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"email": ["Expected an email address."]}
    response = client.post(
        "/api/v1/subjects/user-1/subscriptions", {"purpose": "offers_sms", "email": "a@example.test"}, format="json"
    )
    assert response.status_code == 400 and "purpose" in response.json()["error"]["fields"]
    assert PendingSubscription.objects.count() == 0 and mail.outbox == []


def test_confirmation_emails_are_limited_per_day(client):
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/subjects/user-2/subscriptions", {"purpose": "news", "email": "b@example.test"}, format="json"
            ).status_code
            == 202
        )
    response = client.post(
        "/api/v1/subjects/user-2/subscriptions", {"purpose": "news", "email": "b@example.test"}, format="json"
    )
    assert response.status_code == 429 and response.json()["error"]["code"] == "subscription.too_many"
    assert len(mail.outbox) == 3


def test_keyword_for_an_unknown_person_is_404_and_records_nothing(client):
    response = client.post("/api/v1/subjects/nobody/sms-keyword", {"text": "STOP"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "subject.not_found"
    assert ConsentEvent.objects.filter(method="sms_keyword").count() == 0


@pytest.mark.parametrize("text", ["ARRÊT", "arret!", "Stopp", "STOP please", "unsubscribe"])
def test_stop_keywords_in_several_languages(client, text):
    response = client.post("/api/v1/subjects/user-1/sms-keyword", {"text": text}, format="json")
    assert response.status_code == 200 and response.json()["withdrawn"] == ["offers_sms"]


def test_an_api_key_is_required(client):
    anonymous = APIClient()
    response = anonymous.post("/api/v1/subjects/user-1/sms-keyword", {"text": "STOP"}, format="json")
    assert response.status_code == 401
    assert ConsentEvent.objects.filter(method="sms_keyword").count() == 0
