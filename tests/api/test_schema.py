"""The OpenAPI schema describes every API v1 endpoint, generates without warnings and is served."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from consent.models import Site
from consent.tokens import make_api_key

PATHS = {
    "/api/v1/sites/{site_key}/config": ["get"],
    "/api/v1/sites/{site_key}/decisions": ["post"],
    "/api/v1/subjects/{subject_ref}/decisions": ["post"],
    "/api/v1/subjects/{subject_ref}/consents": ["get"],
    "/api/v1/consents/check": ["post"],
    "/api/v1/audit": ["get"],
}
# The success answers each operation documents: recording a decision is 201, its replay 200.
SUCCESS = {
    ("/api/v1/sites/{site_key}/decisions", "post"): {"200", "201"},
    ("/api/v1/subjects/{subject_ref}/decisions", "post"): {"200", "201"},
}


def test_api_v1_schema_generates_without_warnings_and_validates():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular emitted warnings or errors for the API v1 schema"
    validate_schema(schema)
    for url, methods in PATHS.items():
        for method in methods:
            operation = schema["paths"][url][method]
            documented = {code for code in operation["responses"] if code.startswith("2")}
            assert documented == SUCCESS.get((url, method), {"200"}), (url, method)
            if method == "post":
                assert "application/json" in operation["requestBody"]["content"]
    server_ops = [schema["paths"][u][m] for u, ms in PATHS.items() for m in ms if not u.startswith("/api/v1/sites/")]
    assert all(op["security"] == [{"apiKey": []}] for op in server_ops)
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    decision = schema["components"]["schemas"]["BannerDecisionRequest"]
    assert {"id", "visitor_id", "decisions", "method"} <= set(decision["required"])


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_any_cdn():
    client = APIClient()
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert set(PATHS) <= set(schema["paths"])
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/") for url in assets), assets


def test_schema_names_have_no_doubled_request_suffix(client):
    """COMPONENT_SPLIT_REQUEST appends "Request"; no component may end up as "...RequestRequest"."""
    schema = client.get("/api/schema/?format=json").json()
    names = set(schema["components"]["schemas"])
    assert not [n for n in names if "RequestRequest" in n]
    assert {"CheckRequest", "NewPreferenceLinkRequest", "ObservedCookiesRequest", "PreferenceLink"} <= names


def _doc_curls():
    """(path, body) of every curl POST in docs/api.md."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    found = []
    for block in re.findall(r"```\n(curl -X POST .*?)```", text, re.S):
        url = re.search(r"http://127\.0\.0\.1:8000(\S+)", block).group(1)
        body = re.search(r"-d '(.*?)'", block, re.S).group(1)
        found.append((url, body))
    return found


@pytest.mark.django_db
def test_the_curl_examples_of_the_docs_work_against_the_demo(client):
    """A newcomer copies them after ./dev.sh serve: they must not answer 400."""
    call_command("load_demo", stdout=StringIO())
    _, key = make_api_key(Site.objects.get(key="network"))
    curls = _doc_curls()
    assert len(curls) >= 2
    for url, body in curls:
        response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
        expected = 201 if url.endswith("/decisions") else 200
        assert response.status_code == expected, (url, response.content)
