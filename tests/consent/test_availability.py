"""Database down: 503 with Retry-After (JSON envelope on the API, HTML elsewhere), never 500,
nothing half-written, and the next request after the database is back succeeds."""

import uuid
from contextlib import contextmanager
from unittest import mock

import psycopg
import pytest
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.db.backends.utils import CursorWrapper
from django.middleware.common import CommonMiddleware
from rest_framework.test import APIClient

from consent.models import ConsentEvent, DecisionReceipt
from cookies.services import publish_banner

TEXTS = {"en": {k: k for k in ("title", "body", "accept_all", "reject_all", "choose", "save", "close")}}
_real_execute = CursorWrapper._execute


@pytest.fixture
def client():
    cache.clear()
    return APIClient(raise_request_exception=False)


@pytest.fixture
def banner(site):
    return publish_banner(site, TEXTS)


def decision(visitor="v-1"):
    return {
        "id": str(uuid.uuid4()),
        "visitor_id": visitor,
        "decisions": {"analytics": "granted", "advertising": "denied"},
        "method": "custom",
        "banner_version": 1,
        "policy_version": None,
        "language": "en",
    }


@contextmanager
def database_down(error=OperationalError):
    """Every statement fails as if the server were gone (savepoint bookkeeping of the test's own
    transaction still runs, so the test can roll back)."""

    def execute(self, sql, params, *ignored):
        if not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            raise error("server closed the connection unexpectedly")
        return _real_execute(self, sql, params, *ignored)

    with mock.patch.object(CursorWrapper, "_execute", execute):
        yield


def assert_api_503(response):
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "service.unavailable"
    assert "database" in error["message"]


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_banner_decision_is_503_with_retry_after_while_the_database_is_down(client, site, banner, error):
    body = decision()
    with database_down(error):
        response = client.post("/api/v1/sites/acme/decisions", body, format="json")
    assert_api_503(response)
    assert DecisionReceipt.objects.count() == 0
    # The banner retries with the same id once the database answers: recorded once.
    retried = client.post("/api/v1/sites/acme/decisions", body, format="json")
    assert retried.status_code == 201, retried.content
    assert retried.json()["receipt_id"] == body["id"]
    assert DecisionReceipt.objects.count() == 1
    assert ConsentEvent.objects.count() == 2


def test_server_api_is_503_in_the_error_envelope(client, site, api_key):
    with database_down():
        response = client.get("/api/v1/subjects/someone/consents", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert_api_503(response)


def test_html_pages_get_a_503_page(client, site):
    with database_down():
        response = client.get("/preferences/acme/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"Briefly unavailable" in response.content


def test_database_error_outside_the_view_is_503_too(client, site, banner):
    """An error raised by another middleware has become a 500 before ours sees it: still 503."""

    def failing(self, request, response):
        raise OperationalError("terminating connection due to administrator command")

    with mock.patch.object(CommonMiddleware, "process_response", failing):
        response = client.post("/api/v1/sites/acme/decisions", decision(), format="json")
    assert_api_503(response)


def test_other_errors_stay_500(client, site, banner):
    with mock.patch("api.views.record_under_regime", side_effect=RuntimeError("bug")):
        response = client.post("/api/v1/sites/acme/decisions", decision(), format="json")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_healthz_is_503_while_down(client, db):
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503


@pytest.mark.django_db(transaction=True)
def test_a_terminated_connection_is_503_then_replaced(client, site, banner):
    """The real thing on PostgreSQL: the server ends our session (as a restart does)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    assert client.post("/api/v1/sites/acme/decisions", decision("v-a"), format="json").status_code == 201
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    body = decision("v-b")
    response = client.post("/api/v1/sites/acme/decisions", body, format="json")
    assert_api_503(response)
    # What request_finished does after every request in production (the test client skips it):
    # the connection that raised is found unusable and dropped.
    close_old_connections()
    assert connection.connection is None
    retried = client.post("/api/v1/sites/acme/decisions", body, format="json")
    assert retried.status_code == 201, retried.content
    assert DecisionReceipt.objects.count() == 2
