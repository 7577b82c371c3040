"""The pages' middleware (sessions, sign-in, second factor, messages) runs on every path
but the public API and the embed, which use no cookies (config/middleware.py)."""

import json
import uuid

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client

from cookies.services import publish_banner
from tests.api.banner_support import TEXTS


@pytest.fixture
def calls(monkeypatch):
    seen = []
    real_session, real_csrf = SessionMiddleware.process_request, CsrfViewMiddleware.process_view

    def session(self, request):
        seen.append(("session", request.path))
        return real_session(self, request)

    def csrf(self, request, *args):
        seen.append(("csrf", request.path))
        return real_csrf(self, request, *args)

    monkeypatch.setattr(SessionMiddleware, "process_request", session)
    monkeypatch.setattr(CsrfViewMiddleware, "process_view", csrf)
    return seen


def test_a_banner_decision_and_the_embed_skip_the_pages_middleware(site, calls):
    publish_banner(site, TEXTS)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/api/v1/sites/{site.key}/decisions",
        data=json.dumps(
            {"id": str(uuid.uuid4()), "visitor_id": "v-1", "decisions": {"analytics": "granted"}, "method": "custom"}
        ),
        content_type="application/json",
        HTTP_ORIGIN="https://www.acme.test",
    )
    assert response.status_code == 201, response.content
    embed = client.get(f"/c/{site.key}.js")
    assert embed.status_code == 200
    for answer in (response, embed):
        assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"  # what every response gets stays
    assert [name for name, _ in calls] == ["csrf", "csrf"]  # CSRF runs everywhere; the API is exempt


def test_the_console_still_has_sessions_and_refuses_a_post_without_a_csrf_token(db, calls):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert ("session", "/admin/login/") in calls and ("csrf", "/admin/login/") in calls
    refused = client.post("/admin/login/", {"username": "someone", "password": "x"})
    assert refused.status_code == 403
