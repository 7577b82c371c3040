"""/healthz: healthy only when the database answers and every migration is applied."""

import re

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


@pytest.mark.parametrize("path", ["/", "/admin/login/"])
def test_pages_link_an_icon_that_is_served(client, path):
    html = client.get(path).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    icon = client.get(href)
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
