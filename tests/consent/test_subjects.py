"""One person, one subject: every path resolves a reference the same way (no forks)."""

import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from consent.models import AliasKind, ConsentState, Decision, Method, Purpose, Subject, SubjectAlias
from consent.services.decisions import record_decision
from consent.services.subjects import find_subject
from consent.tokens import sign_subject_token
from features.centre.preferences import make_preference_link, read_preference_link, save_choices
from features.centre.unsubscribe import unsubscribe


@pytest.fixture
def client():
    cache.clear()
    return APIClient()


def banner(client, visitor, decisions, **extra):
    body = {"id": str(uuid.uuid4()), "visitor_id": visitor, "decisions": decisions, "method": "custom", **extra}
    response = client.post("/api/v1/sites/acme/decisions", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def server(client, auth, ref, decisions):
    body = {"id": str(uuid.uuid4()), "decisions": decisions}
    response = client.post(f"/api/v1/subjects/{ref}/decisions", body, format="json", **auth)
    assert response.status_code == 201, response.content
    return response.json()


def state_of(subject_id, key):
    return ConsentState.objects.get(subject_id=subject_id, purpose__key=key, vendor=None).state


@pytest.mark.django_db
def test_server_decision_for_a_visitor_ref_lands_on_the_visitor(site, client, auth):
    banner(client, "v-77", {"analytics": "granted"})
    visitor = find_subject(site, "v-77", kinds=(AliasKind.VISITOR,))
    server(client, auth, "v-77", {"analytics": "denied"})
    assert Subject.objects.filter(site=site).count() == 1
    assert list(SubjectAlias.objects.filter(site=site).values_list("kind", "value", "subject_id")) == [
        (AliasKind.VISITOR, "v-77", visitor)
    ]
    assert state_of(visitor, "analytics") == Decision.WITHDRAWN


@pytest.mark.django_db
def test_server_decision_first_then_banner_of_that_visitor_stays_apart_on_every_path(site, client, auth):
    """A server ref nobody knows becomes a user; a banner visitor id is another namespace."""
    server(client, auth, "x-1", {"analytics": "granted"})
    banner(client, "x-1", {"analytics": "denied"})
    kinds = dict(SubjectAlias.objects.filter(site=site).values_list("kind", "subject_id"))
    assert set(kinds) == {AliasKind.USER, AliasKind.VISITOR} and kinds[AliasKind.USER] != kinds[AliasKind.VISITOR]
    # The ref keeps naming the user, whichever path wrote it.
    server(client, auth, "x-1", {"analytics": "denied"})
    assert state_of(kinds[AliasKind.USER], "analytics") == Decision.WITHDRAWN
    assert state_of(kinds[AliasKind.VISITOR], "analytics") == Decision.DENIED


@pytest.mark.django_db
def test_preference_centre_change_for_a_visitor_lands_on_the_visitor(site, client):
    banner(client, "v-78", {"marketing_email": "granted"})
    visitor = find_subject(site, "v-78")
    url, _ = make_preference_link(site, visitor)
    subject_id = read_preference_link(site, url.split("link=")[1])
    save_choices(site, subject_id, {"marketing_email": "denied"})
    assert Subject.objects.filter(site=site).count() == 1
    assert state_of(visitor, "marketing_email") == Decision.WITHDRAWN


@pytest.mark.django_db
def test_unsubscribe_for_a_visitor_lands_on_the_visitor(site, client):
    banner(client, "v-79", {"marketing_email": "granted"})
    visitor = find_subject(site, "v-79")
    assert unsubscribe(site, visitor, Purpose.objects.get(site=site, key="marketing_email")) is True
    assert Subject.objects.filter(site=site).count() == 1
    assert state_of(visitor, "marketing_email") == Decision.WITHDRAWN


@pytest.mark.django_db
def test_record_decision_with_a_visitor_ref_after_a_banner_decision(site, client):
    banner(client, "v-80", {"analytics": "granted"})
    record_decision(site, receipt_id=uuid.uuid4(), decisions={"analytics": "denied"}, method=Method.API, ref="v-80")
    assert Subject.objects.filter(site=site).count() == 1
    assert state_of(find_subject(site, "v-80"), "analytics") == Decision.WITHDRAWN


@pytest.mark.django_db
def test_preference_centre_changes_the_subject_it_opened_even_if_its_visitor_id_is_someone_s_user_id(site, client):
    """The centre holds the subject; it is not looked up again by a reference that may name another."""
    banner(client, "dup", {"marketing_email": "granted"})
    visitor = find_subject(site, "dup", kinds=(AliasKind.VISITOR,))
    token = sign_subject_token(site, "dup")
    banner(client, "v-other", {"marketing_email": "granted"}, subject_token=token)
    user = find_subject(site, "dup", kinds=(AliasKind.USER,))
    assert user != visitor
    save_choices(site, visitor, {"marketing_email": "denied"})
    unsubscribe(site, visitor, Purpose.objects.get(site=site, key="marketing_email"))
    assert state_of(visitor, "marketing_email") == Decision.WITHDRAWN
    assert state_of(user, "marketing_email") == Decision.GRANTED
