"""Website notice of a material policy change: during its notice period the banner's
configuration carries it (with the chunk that shows it), the centre shows a notice box, and a
server-rendered page shows the differences from the version before."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from cookies.services import publish_banner
from cookies.views import runtime
from cookies.wire import embed_config
from features.policies import create_draft, publish_policy
from tests.people import make_user, open_centre

pytestmark = pytest.mark.django_db

OLD = "We measure visits.\nWe show ads.\nAsk us anything."
NEW = "We measure visits.\nWe share your email with partners.\nAsk us anything."
TEXTS = {
    lang: {
        "title": "Cookies",
        "body": "We use cookies.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "choose": "Choose",
        "save": "Save",
        "close": "Close",
    }
    for lang in ("en", "fr")
}


def _config(body):
    js, _ = runtime()
    prefix = "(function(CONFIG){" + js + "})("
    return json.loads(body.decode()[len(prefix) : -3])


@pytest.fixture
def change(site):
    """Version 1 in force; a material version 2 published now, in effect in 30 days."""
    first = create_draft(site, text=OLD, url="https://acme.test/privacy")
    publish_policy(first, now=timezone.now() - timedelta(days=60))
    publish_banner(site, TEXTS)
    second = create_draft(
        site,
        text=NEW,
        change_summary="We start sharing your email with partners.",
        material=True,
        affected_purposes=["advertising"],
    )
    publish_policy(second)
    second.refresh_from_db()
    return second


def test_the_banner_config_carries_the_coming_change_and_its_chunk(client, site, change):
    config = _config(client.get("/c/acme.js").content)
    assert config["notice"] == {
        "v": 2,
        "at": f"{change.effective_at:%Y-%m-%d}",
        "url": "/policies/acme/2/changes",
    }
    assert config["texts"]["change_notice"] == "Our privacy policy changes on {date}."
    assert config["chunks"] == ["/static/consent/notice.js"]
    assert client.get("/c/acme.js?lang=fr").content.decode().count("Notre politique de confidentialité change") == 1


def test_no_notice_once_the_change_is_in_effect_or_when_not_material(site, change):
    later = change.effective_at + timedelta(seconds=1)
    assert "notice" not in embed_config(site, now=later) and "chunks" not in embed_config(site, now=later)
    minor = create_draft(site, text=NEW + "\nTypo fixed.")
    publish_policy(minor)
    assert embed_config(site, now=later).get("notice") is None


def test_no_notice_without_a_coming_change(client, site):
    first = create_draft(site, text=OLD)
    publish_policy(first)
    publish_banner(site, TEXTS)
    config = _config(client.get("/c/acme.js").content)
    assert "notice" not in config and "change_notice" not in config["texts"]


def test_the_differences_page_shows_what_is_added_and_removed(client, site, change):
    response = client.get("/policies/acme/2/changes")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<ins>+ We share your email with partners.</ins>" in html
    assert "<del>− We show ads.</del>" in html
    assert "<span>  We measure visits.</span>" in html
    assert "We start sharing your email with partners." in html
    assert f"The new version applies from {change.effective_at:%Y-%m-%d}." in html
    assert "Compared with version 1:" in html


def test_the_differences_page_in_another_language(client, site, change):
    html = client.get("/policies/acme/2/changes?lang=de").content.decode()
    assert '<html lang="de">' in html and "Was sich in Version 2 ändert" in html


@pytest.mark.parametrize("path", ["/policies/acme/9/changes", "/policies/nobody/1/changes"])
def test_an_unknown_version_or_site_is_a_clear_404(client, site, change, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()


def test_a_draft_has_no_differences_page(client, site, change):
    draft = create_draft(site, text="secret draft")
    assert draft.version is None
    assert client.get("/policies/acme/3/changes").status_code == 404


def test_the_centre_shows_the_coming_change_with_a_link(client, site, change):
    user = make_user(site)
    html = open_centre(client, site, user).content.decode()
    assert f"Our policy changes on {change.effective_at:%Y-%m-%d}" in html
    assert 'href="/policies/acme/2/changes?lang=en"' in html
    assert "We start sharing your email with partners." in html
