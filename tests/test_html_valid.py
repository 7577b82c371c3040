"""The pages people see are valid HTML by the W3C Nu HTML checker (npm `vnu-jar`, run with Java).

Rendered on the demo data: the landing page, both demo host pages, the preference centre in
English and French (with its rights-request form), a refused link, the unsubscribe page, the
staff sign-in and the console dashboard with its SVG charts.
"""

import json
import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from consent.models import Purpose, Site
from consent.services.subjects import resolve_subject
from features.centre.unsubscribe import unsubscribable, unsubscribe_url
from tests.people import open_centre

VNU = Path(__file__).resolve().parents[1] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _checker():
    java = shutil.which("java")
    if java and VNU.exists():
        return [java, "-jar", str(VNU)]
    if os.environ.get("CI"):
        pytest.fail("CI must validate HTML: install Java and run `npm install` (vnu-jar)")
    pytest.skip("the HTML checker needs Java and `npm install` (vnu-jar)")


def _path(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def pages(db, settings):
    settings.CONSOLE_REQUIRE_OTP = False
    call_command("load_demo", "--history", "14", "--visitors", "40", stdout=StringIO())
    mailer = Site.objects.get(key="mailer")
    subject_id = resolve_subject(mailer, user_id="html-check", email="check@example.test")
    purpose = next(p for p in Purpose.objects.filter(site=mailer) if unsubscribable(p))
    visitor = Client()
    rendered = {
        "landing": visitor.get("/"),
        "demo-network": visitor.get("/demo/"),
        "demo-mailer": visitor.get("/demo/mailer/"),
        "preference-centre": open_centre(visitor, mailer, subject_id),
        "preference-centre-fr": visitor.get("/preferences/mailer/?lang=fr"),
        "refused-link": Client().get("/preferences/mailer/?link=not-a-link"),
        "unsubscribe": Client().get(_path(unsubscribe_url(mailer, subject_id, purpose))),
        "sign-in": Client().get("/admin/login/"),
    }
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("html", "html@example.test", "x"))
    rendered["dashboard"] = staff.get("/admin/console/dashboard/?site=network")
    rendered["console-index"] = staff.get("/admin/")
    rendered["banner-sites"] = staff.get("/admin/console/banner/")
    rendered["rights-queue"] = staff.get("/admin/consent/rightsrequest/")
    rendered["subject"] = staff.get(f"/admin/console/subjects/{subject_id}/")
    for name, response in rendered.items():
        assert response.status_code == (400 if name == "refused-link" else 200), (name, response.status_code)
        assert response["Content-Type"].startswith("text/html"), name
    return rendered


def test_pages_are_valid_html(pages, tmp_path):
    checker = _checker()
    files = []
    for name, response in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files.append(str(path))
    result = subprocess.run(
        [*checker, "--errors-only", "--format", "json", *files], capture_output=True, text=True, timeout=120
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{Path(m['url']).stem}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert errors == []
