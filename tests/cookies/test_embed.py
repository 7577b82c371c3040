"""The embed endpoint and the demo host pages, over real HTTP (Django's test client)."""

import gzip
import json
import re

import pytest

from bench.banner_size import BUDGET
from consent.models import LegalBasis, Purpose, Site
from cookies.models import CookieDeclaration
from cookies.services import embed_payload, publish_banner
from cookies.views import runtime

TEXTS = {
    "en": {
        "title": "Cookies",
        "body": "We use cookies.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "choose": "Choose",
        "save": "Save",
        "close": "Close",
    },
    "fr": {
        "title": "Témoins",
        "body": "Nous utilisons des cookies.",
        "accept_all": "Tout accepter",
        "reject_all": "Tout refuser",
        "choose": "Choisir",
        "save": "Enregistrer",
        "close": "Fermer",
    },
}


@pytest.fixture
def published(site):
    CookieDeclaration.objects.create(site=site, name="_ga_*", purpose=Purpose.objects.get(site=site, key="analytics"))
    publish_banner(site, TEXTS)
    return site


def config_of(body):
    """The configuration literal the runtime is called with: `(function(C, CSS){...})(config, css);`."""
    text = body.decode()
    js, _ = runtime()
    assert text.startswith(js)
    args = json.loads("[" + text[len(js) + 1 : text.rstrip().rindex(")")] + "]")
    return args[0], args[1]


def test_embed_serves_runtime_with_config_and_cache_headers(client, published):
    response = client.get("/c/acme.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    config, css = config_of(response.content)
    assert config["site"]["key"] == "acme"
    assert config["banner_version"] == 1
    assert set(config["i18n"]) == {"en", "fr"}
    assert config["i18n"]["fr"]["texts"]["accept_all"] == "Tout accepter"
    assert config["cookies"][0]["name"] == "_ga_*"
    assert config["consent_mode"]["analytics"] == ["analytics_storage"]
    purposes = {p["key"]: p for p in config["purposes"]}
    assert purposes["essential"]["essential"] is True
    assert purposes["advertising"]["gpc_sensitive"] is True
    assert purposes["analytics"]["min_policy_version"] == 0
    assert ":host" in css
    assert config["css_url"].endswith("/static/consent/banner.css")
    # No eval-like constructs in what is served (strict CSP).
    assert "eval(" not in response.content.decode() and "new Function" not in response.content.decode()


def test_embed_etag_match_is_304_and_change_gives_new_etag(client, published):
    first = client.get("/c/acme.js")
    again = client.get("/c/acme.js", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert client.get("/c/acme.js", HTTP_IF_NONE_MATCH='"other"').status_code == 200
    publish_banner(published, {**TEXTS, "en": {**TEXTS["en"], "title": "New title"}})
    changed = client.get("/c/acme.js", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert config_of(changed.content)[0]["banner_version"] == 2


def test_embed_one_language_on_request(client, published):
    config, _ = config_of(client.get("/c/acme.js?lang=fr-CA").content)
    assert list(config["i18n"]) == ["fr"]
    assert config["i18n"]["fr"]["texts"]["title"] == "Témoins"


def test_unknown_site_is_a_javascript_404(client, db):
    response = client.get("/c/nobody.js")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/javascript")
    assert response.content.decode().startswith("/* consent: unknown site 'nobody'")


def test_site_without_published_banner_is_a_javascript_404(client, site):
    response = client.get("/c/acme.js")
    assert response.status_code == 404
    assert "no published banner" in response.content.decode()


def test_embed_payload_escapes_markup(published):
    Purpose.objects.filter(site=published, key="analytics").update(
        translations={"en": {"name": "</script><script>alert(1)</script>"}}
    )
    publish_banner(published, TEXTS)
    body = embed_payload(published)
    assert body["i18n"]["en"]["purposes"]["analytics"][0].startswith("</script>")


def test_served_body_never_contains_closing_script_tag(client, published):
    Purpose.objects.filter(site=published, key="analytics").update(translations={"en": {"name": "</script>"}})
    publish_banner(published, TEXTS)
    assert b"</script>" not in client.get("/c/acme.js").content


def test_demo_page_embeds_one_tag_under_strict_csp(client, published):
    response = client.get("/demo/acme/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert csp == "default-src 'self'; script-src http://testserver; style-src http://testserver"
    html = response.content.decode()
    assert '<script src="http://testserver/c/acme.js" async></script>' in html
    assert 'data-consent="analytics"' in html and "data-consent-open" in html
    # Gated content is inert markup until the banner activates it.
    assert re.search(r'<script type="text/plain" data-consent="analytics"[^>]*data-cookies="_ga_demo"', html)
    assert re.search(r'<iframe data-consent="advertising" data-src="/demo/_frame/"', html)
    assert "onclick" not in html and "style=" not in html


def test_demo_pages_404_clearly_when_not_loaded(client, db):
    for path in ("/demo/", "/demo/mailer/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "manage.py load_demo" in response.content.decode()


def test_demo_network_page_uses_network_site(client, db):
    site = Site.objects.create(key="network", name="Network", languages=["en"])
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT)
    publish_banner(site, {"en": TEXTS["en"]})
    response = client.get("/demo/")
    assert response.status_code == 200
    assert "/c/network.js" in response.content.decode()


def test_demo_frame_may_be_framed_by_the_platform_only(client, db):
    response = client.get("/demo/_frame/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_runtime_fits_the_size_budget():
    js, css = runtime()
    assert len(gzip.compress((js + css).encode(), compresslevel=9)) <= BUDGET
