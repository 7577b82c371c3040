"""Schemathesis over the whole served OpenAPI schema, in-process (WSGI), bounded in examples.

Every operation gets schema-shaped (positive) and schema-breaking (negative) requests; the answer
must never be a 5xx, must use a status code and content type the schema documents, and a
documented body must match its schema. Nothing is written into the repository: the Hypothesis
example database is off and schemathesis's storage points at a temporary directory.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import storage
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cookies.services import publish_banner

# Small enough for the whole schema (9 operations, two modes) to run well under 90 s on a busy CI box.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
# Reproducible by default; SCHEMATHESIS_RANDOM=1 draws new examples on each run (for hunting).
RANDOM = bool(os.environ.get("SCHEMATHESIS_RANDOM"))
TEXTS = {"en": {k: k for k in ("title", "body", "accept_all", "reject_all", "choose", "save", "close")}}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(site, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "DEFAULT_ROOT", tmp_path / "schemathesis")
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    publish_banner(site, TEXTS)
    # Requests go straight to the WSGI handler: keep the test's connection (and its transaction)
    # open around each, as Django's test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_whole_schema_never_answers_5xx_and_conforms(api_schema, api_key):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    headers = {"Authorization": f"Bearer {api_key}"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=not RANDOM,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case):
                cache.clear()  # the throttles count per address: every example starts fresh
                case.call_and_validate(headers=headers, checks=CHECKS)

            exercise()
