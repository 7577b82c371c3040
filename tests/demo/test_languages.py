"""A French visitor reads French: the demo host page and the vendor names of the centre."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from consent.models import Site
from consent.services.subjects import find_subject
from tests.people import grant, open_centre

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def visible_text(html):
    body = html.split("<body>", 1)[1]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_french_demo_page_is_in_french(client, demo):
    html = client.get("/demo/mailer/").content.decode()
    assert '<html lang="fr">' in html
    text = visible_text(html)
    assert "Ce qui demande votre consentement ici" in text
    for english in ("What needs consent here", "Your choice", "Privacy choices", "Platform home", "Other demo site"):
        assert english not in text, english


def test_the_english_demo_page_stays_english(client, demo):
    html = client.get("/demo/").content.decode()
    assert '<html lang="en">' in html and "What needs consent here" in html


def test_the_french_centre_names_vendors_in_french(client, demo):
    site = Site.objects.get(key="crm")
    grant(site, "user-7", {"advertising": "granted"})
    page = open_centre(client, site, find_subject(site, "user-7"))
    html = client.get(page.request["PATH_INFO"] + "?lang=fr").content.decode()
    assert '<html lang="fr">' in html
    assert "Sociétés de marketing (sous-traitants)" in html
    assert "Marketing companies (contractors)" not in html
