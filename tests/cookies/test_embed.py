"""The embed endpoint, its lazily loaded details and the demo host pages, over real HTTP
(Django's test client, with the project's middleware)."""

import gzip
import json
import re
from datetime import timedelta

import brotli
import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from bench.banner_size import BUDGET
from consent.models import LegalBasis, PolicyVersion, Purpose, Site, Vendor
from cookies import published
from cookies.models import CookieDeclaration
from cookies.services import publish_banner
from cookies.views import runtime
from demo import mailer, network
from demo.loader import load_site

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
def published_site(site):
    analytics = Purpose.objects.get(site=site, key="analytics")
    CookieDeclaration.objects.create(site=site, name="_ga_*", purpose=analytics, description="Visits")
    CookieDeclaration.objects.create(site=site, name="_ls_key", purpose=analytics, storage="local_storage")
    publish_banner(site, TEXTS)
    return site


def config_of(body):
    """The configuration literal the runtime is called with: `(function(CONFIG){...})(config);`."""
    text = body.decode()
    js, _ = runtime()
    prefix = "(function(CONFIG){" + js + "})("
    assert text.startswith(prefix) and text.endswith(");\n")
    return json.loads(text[len(prefix) : -3])


def test_embed_serves_runtime_with_one_language_and_cache_headers(client, published_site):
    response = client.get("/c/acme.js?lang=en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300, stale-while-revalidate=86400"
    assert response["Vary"] == "Accept-Encoding"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.has_header("Content-Encoding")
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    config = config_of(response.content)
    assert set(config) == {
        "site",
        "lifetime_days",
        "language",
        "languages",
        "banner_version",
        "policy_version",
        "policy_url",
        "texts",
        "purposes",
        "cookies",
        "consent_mode",
        "css_url",
        "prefs",
        "regime",
    }
    assert config["regime"] == {"name": "opt_in"}  # no jurisdiction known: the site's regime
    assert config["site"] == "acme" and config["language"] == "en" and config["languages"] == ["en", "fr"]
    assert config["banner_version"] == 1
    assert config["texts"]["accept_all"] == "Accept all"
    assert config["texts"]["reload"] == "Reload"  # runtime defaults merged in
    # The dialog's own texts come with its details, when it opens.
    assert not {"prefs_title", "save", "essential_label"} & set(config["texts"])
    assert config["cookies"] == [
        {"name": "_ga_*", "purpose": "analytics"},
        {"name": "_ls_key", "purpose": "analytics", "storage": "local_storage"},
    ]
    assert config["consent_mode"]["analytics"] == ["analytics_storage"]
    purposes = {p["key"]: p for p in config["purposes"]}
    # Descriptions come with the details, when the preferences open.
    assert purposes["essential"] == {"key": "essential", "name": "Essential", "essential": True}
    assert purposes["advertising"]["gpc_sensitive"] is True
    assert config["css_url"] == "/static/consent/banner.css"
    assert config["prefs"] == "/static/consent/prefs.js"  # the dialog comes when it opens
    # No eval-like constructs in what is served (strict CSP).
    text = response.content.decode()
    assert "eval(" not in text and "new Function" not in text


def test_communications_and_other_bases_are_not_sent(client, published_site):
    Purpose.objects.create(site=published_site, key="newsletter", kind="communication")
    Purpose.objects.create(site=published_site, key="fraud", legal_basis=LegalBasis.LEGITIMATE_INTEREST)
    publish_banner(published_site, TEXTS)
    keys = [p["key"] for p in config_of(client.get("/c/acme.js?lang=en").content)["purposes"]]
    assert "newsletter" not in keys and "fraud" not in keys and "analytics" in keys


def test_brotli_and_gzip_are_the_same_body(client, published_site):
    plain = client.get("/c/acme.js?lang=fr").content
    br = client.get("/c/acme.js?lang=fr", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert br["Content-Encoding"] == "br" and br["Vary"] == "Accept-Encoding"
    assert brotli.decompress(br.content) == plain
    gz = client.get("/c/acme.js?lang=fr", HTTP_ACCEPT_ENCODING="gzip;q=1, br;q=0")
    assert gz["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz.content) == plain
    assert len(br.content) < len(gz.content) < len(plain)
    # Each encoding has its own strong ETag; any of them is recognised.
    assert len({br["ETag"], gz["ETag"], client.get("/c/acme.js?lang=fr")["ETag"]}) == 3
    again = client.get("/c/acme.js?lang=fr", HTTP_ACCEPT_ENCODING="br", HTTP_IF_NONE_MATCH=gz["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_warm_requests_run_no_sql_and_304_is_answered_first(client, published_site, django_assert_num_queries):
    first = client.get("/c/acme.js?lang=fr", HTTP_ACCEPT_ENCODING="br")
    client.get("/c/acme/details.json?lang=fr")
    client.get("/api/v1/sites/acme/config?lang=fr")
    with django_assert_num_queries(0):
        warm = client.get("/c/acme.js?lang=fr", HTTP_ACCEPT_ENCODING="br")
        not_modified = client.get("/c/acme.js?lang=fr", HTTP_ACCEPT_ENCODING="br", HTTP_IF_NONE_MATCH=first["ETag"])
        details = client.get("/c/acme/details.json?lang=fr")
        config = client.get("/api/v1/sites/acme/config?lang=fr")
    assert warm.status_code == 200 and warm.content == first.content
    assert not_modified.status_code == 304 and not_modified["ETag"] == first["ETag"]
    # A 304 describes the representation the client holds: no type of its own, and no length
    # but the 200's (RFC 9110, 8.6: not the "0" of its own empty body).
    assert not not_modified.has_header("Content-Type")
    assert not_modified["Content-Length"] == first["Content-Length"] == str(len(first.content))
    assert details.status_code == 200 and config.status_code == 200


def test_publishing_or_editing_is_seen_by_the_next_request(client, published_site):
    first = client.get("/c/acme.js?lang=en")
    assert client.get("/c/acme.js?lang=en", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    publish_banner(published_site, {**TEXTS, "en": {**TEXTS["en"], "title": "New title"}})
    changed = client.get("/c/acme.js?lang=en", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert config_of(changed.content)["texts"]["title"] == "New title"
    # A declaration added is rebuilt for, but shows only once a banner version is published:
    # what the visitor is shown is the published snapshot.
    CookieDeclaration.objects.create(
        site=published_site, name="_new", purpose=Purpose.objects.get(site=published_site, key="analytics")
    )
    assert client.get("/c/acme.js?lang=en", HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304
    # A material policy change now in effect raises the floor of the purposes it names.
    now = timezone.now()
    policy = PolicyVersion.objects.create(
        site=published_site, version=2, material=True, published_at=now, effective_at=now
    )
    policy.affected_purposes.add(Purpose.objects.get(site=published_site, key="analytics"))
    purposes = {p["key"]: p for p in config_of(client.get("/c/acme.js?lang=en").content)["purposes"]}
    assert purposes["analytics"]["min_policy_version"] == 2
    assert config_of(client.get("/c/acme.js?lang=en").content)["policy_version"] == 2


def test_entry_expires_when_a_published_policy_comes_into_effect(client, published_site):
    PolicyVersion.objects.create(
        site=published_site,
        version=3,
        material=True,
        published_at=timezone.now(),
        effective_at=timezone.now() + timedelta(seconds=90),
    )
    client.get("/c/acme.js?lang=en")
    entry = published.site_entry("acme")
    assert 1 <= entry["ttl"] <= 90


def test_language_from_the_tag_or_accept_language(client, published_site):
    tagged = client.get("/c/acme.js?lang=fr-CA", HTTP_ACCEPT_LANGUAGE="en")
    config = config_of(tagged.content)
    assert config["language"] == "fr" and config["texts"]["title"] == "Témoins"
    assert config["texts"]["reload"] == "Recharger"
    assert tagged["Vary"] == "Accept-Encoding"
    negotiated = client.get("/c/acme.js", HTTP_ACCEPT_LANGUAGE="de-DE, fr;q=0.8, en;q=0.5")
    assert config_of(negotiated.content)["language"] == "fr"
    assert negotiated["Vary"] == "Accept-Encoding, Accept-Language"
    assert config_of(client.get("/c/acme.js", HTTP_ACCEPT_LANGUAGE="fr;q=0.1, en").content)["language"] == "en"
    assert config_of(client.get("/c/acme.js").content)["language"] == "en"  # site default
    assert config_of(client.get("/c/acme.js", HTTP_ACCEPT_LANGUAGE="fr;q=x, *").content)["language"] == "en"


@pytest.mark.parametrize("lang", ["x" * 30, "fr;drop", "<script>", "fr_FR"])
def test_bad_language_parameter_is_a_400_naming_it(client, published_site, lang):
    response = client.get("/c/acme.js", {"lang": lang})
    assert response.status_code == 400
    assert response.content.decode().startswith("/* consent: lang must be a language tag")
    details = client.get("/c/acme/details.json", {"lang": lang})
    assert details.status_code == 400 and details.json()["error"]["fields"] == {"lang": ["Not a language tag."]}


def test_unknown_site_is_a_javascript_404(client, db):
    response = client.get("/c/nobody.js")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/javascript")
    assert response.content.decode().startswith("/* consent: unknown site 'nobody'")
    assert client.get("/c/nobody/details.json").status_code == 404


def test_a_site_created_after_a_404_is_served(client, db):
    assert client.get("/c/late.js").status_code == 404
    site = Site.objects.create(key="late", name="Late", languages=["en"])
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT)
    publish_banner(site, {"en": TEXTS["en"]})
    assert client.get("/c/late.js").status_code == 200


def test_a_renamed_site_is_gone_from_its_old_key(client, published_site):
    assert client.get("/c/acme.js").status_code == 200
    published_site.key = "acme2"
    published_site.save()
    assert client.get("/c/acme.js").status_code == 404
    assert client.get("/c/acme2.js").status_code == 200


def test_site_without_published_banner_is_a_javascript_404(client, site):
    response = client.get("/c/acme.js")
    assert response.status_code == 404
    assert "no published banner" in response.content.decode()


def test_site_gone_behind_the_cache_is_a_404(client, db):
    # An entry naming a site the database no longer has (removed without signals).
    stale = {"gen": "x", "found": True, "published": True, "languages": ["en"], "default_language": "en", "id": 10**9}
    cache.set(published._site_entry_key("ghost"), stale)
    response = client.get("/c/ghost.js")
    assert response.status_code == 404 and "No site with key 'ghost'" in response.content.decode()
    assert published.site_entry("ghost")["found"] is False


def test_served_body_never_contains_closing_script_tag(client, published_site):
    Purpose.objects.filter(site=published_site, key="analytics").update(translations={"en": {"name": "</script>"}})
    publish_banner(published_site, TEXTS)
    body = client.get("/c/acme.js?lang=en").content
    assert b"</script>" not in body
    assert {p["key"]: p["name"] for p in config_of(body)["purposes"]}["analytics"] == "</script>"


def test_details_carry_vendor_and_cookie_lists_in_one_language(client, published_site):
    vendor = Vendor.objects.get(site=published_site, key="partner_ads")
    response = client.get("/c/acme/details.json?lang=fr", HTTP_ACCEPT_ENCODING="br")
    assert response.status_code == 200 and response["Content-Encoding"] == "br"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = json.loads(brotli.decompress(response.content))
    assert body["language"] == "fr" and body["texts"]["title"] == "Témoins"
    assert body["texts"]["vendors_label"] == "Partenaires"
    assert body["vendors"][vendor.key]["name"] == vendor.name
    purposes = {p["key"]: p for p in body["purposes"]}
    assert purposes["advertising"]["vendors"] == ["partner_ads"]
    assert {"name": "_ga_*", "purpose": "analytics", "vendor": None, "storage": "cookie"}.items() <= {
        **body["cookies"][0]
    }.items()


def test_demo_page_embeds_one_tag_under_strict_csp(client, published_site):
    response = client.get("/demo/acme/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert csp == "default-src 'self'; script-src http://testserver; style-src http://testserver"
    html = response.content.decode()
    assert '<script src="http://testserver/c/acme.js?lang=en" async></script>' in html
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
    assert "/c/network.js?lang=en" in response.content.decode()


def test_demo_frame_may_be_framed_by_the_platform_only(client, db):
    response = client.get("/demo/_frame/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"


LANGUAGES = [code for code, _ in settings.LANGUAGES]


@pytest.mark.parametrize("spec", [network.SITE, mailer.SITE], ids=lambda spec: spec["key"])
def test_demo_embed_fits_the_wire_budget(client, db, spec):
    load_site(spec)
    response = client.get(f"/c/{spec['key']}.js", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200 and response["Content-Encoding"] == "br"
    assert len(response.content) <= BUDGET, f"{len(response.content)} bytes over the wire, budget {BUDGET}"


@pytest.mark.parametrize("spec", [network.SITE, mailer.SITE], ids=lambda spec: spec["key"])
def test_demo_embed_fits_the_wire_budget_in_every_language(client, db, spec):
    """Every language the platform speaks (the site's own, else its default), not only the default."""
    load_site(spec)
    sizes = {}
    for lang in LANGUAGES:
        response = client.get(f"/c/{spec['key']}.js?lang={lang}", HTTP_ACCEPT_ENCODING="br")
        assert response.status_code == 200 and response["Content-Encoding"] == "br"
        sizes[lang] = len(response.content)
    assert max(sizes.values()) <= BUDGET, f"over {BUDGET} bytes: {sizes}"
