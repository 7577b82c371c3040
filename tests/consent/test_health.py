"""/healthz: healthy only when the database answers and every migration is applied."""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db(transaction=True)


def test_healthz_is_ok_on_a_migrated_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_while_a_migration_is_pending(client):
    """Forget that the last consent migration ran: the plan is no longer empty."""
    recorder = MigrationRecorder(connection)
    last = recorder.migration_qs.filter(app="consent").order_by("-name").first()
    last.delete()
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "migrations pending"
        assert response.json()["pending"] == 1
    finally:
        recorder.record_applied("consent", last.name)
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_on_an_empty_database(client):
    """No django_migrations table at all (a fresh database): every migration pending."""
    with connection.cursor() as cursor:
        rows = list(MigrationRecorder(connection).migration_qs.values_list("app", "name"))
        cursor.execute("DROP TABLE django_migrations")
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["pending"] == len(rows)
    finally:
        recorder = MigrationRecorder(connection)
        recorder.ensure_schema()
        for app, name in rows:
            recorder.record_applied(app, name)
