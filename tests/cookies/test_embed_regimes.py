"""The embed under each regime: one request carries the visitor's jurisdiction and only that
regime's rules, varies on the trusted geo header, and is cached per jurisdiction."""

import brotli
import pytest

from bench.banner_size import BUDGET
from consent import jurisdiction as geo
from consent.models import Site
from demo import network
from demo.loader import load_site
from tests.cookies.test_embed import LANGUAGES, config_of

pytestmark = pytest.mark.django_db

HEADER = "X-Geo"


@pytest.fixture
def geo_header(settings):
    settings.GEO_HEADER = HEADER
    settings.GEO_REGION_HEADER = ""
    settings.GEO_IP_DATABASE = ""
    return "HTTP_X_GEO"


@pytest.fixture
def demo_network(db):
    load_site(network.SITE)
    return Site.objects.get(key="network")


def embed(client, place, header, **extra):
    meta = {header: place} if place else {}
    return client.get("/c/network.js?lang=en", **meta, **extra)


def test_opt_in_visitor_gets_the_blocking_banner_rules_and_no_regime_chunk(client, demo_network, geo_header):
    response = embed(client, "FR", geo_header)
    assert response.status_code == 200
    assert response["Vary"] == f"Accept-Encoding, {HEADER}"
    assert response["Cache-Control"].startswith("public, max-age=300")
    config = config_of(response.content)
    assert config["regime"] == {"name": "opt_in", "place": "FR"}
    assert not any(url.endswith("/regime.js") for url in config.get("chunks", []))


def test_opt_out_visitor_gets_its_rules_and_the_regime_chunk(client, demo_network, geo_header):
    config = config_of(embed(client, "US-CA", geo_header).content)
    regime = config["regime"]
    assert regime["name"] == "opt_out" and regime["place"] == "US-CA"
    assert regime["reask_days"] == 365
    assert regime["sensitive"] == ["ccpa_financial_incentives", "precise_location"]
    # The link and dialog texts come with the chunk, not with every embed.
    assert "texts" not in regime
    assert "/static/consent/regime.js" in config["chunks"]


def test_place_without_a_law_gets_the_sites_notice_setting(client, demo_network, geo_header):
    config = config_of(embed(client, "US-NY", geo_header).content)
    assert config["regime"]["name"] == "notice" and config["regime"]["display"] == "notice"
    demo_network.regime_settings = {**demo_network.regime_settings, "notice": {"display": "none"}}
    demo_network.save()
    config = config_of(embed(client, "US-NY", geo_header).content)
    assert config["regime"]["display"] == "none"


def test_without_a_trusted_header_the_site_default_jurisdiction_applies(client, demo_network, settings):
    settings.GEO_HEADER = ""
    settings.GEO_IP_DATABASE = ""
    # A client-sent header is not trusted when none is configured.
    response = client.get("/c/network.js?lang=en", HTTP_X_GEO="US-CA")
    assert response["Vary"] == "Accept-Encoding"
    assert config_of(response.content)["regime"] == {"name": "opt_in", "place": "FR"}


def test_each_jurisdiction_is_cached_apart_and_warm_requests_run_no_sql(
    client, demo_network, geo_header, django_assert_num_queries
):
    first = {place: embed(client, place, geo_header) for place in ("FR", "US-CA", "US-NY")}
    assert len({r["ETag"] for r in first.values()}) == 3
    with django_assert_num_queries(0):
        again = {place: embed(client, place, geo_header) for place in ("FR", "US-CA", "US-NY")}
    for place, response in again.items():
        assert response.content == first[place].content, place


def test_a_jurisdiction_from_the_ip_database_is_private(client, demo_network, settings, monkeypatch):
    settings.GEO_HEADER = ""
    monkeypatch.setattr(geo, "_from_database", lambda ip: "US-CA")
    response = client.get("/c/network.js?lang=en")
    assert response["Cache-Control"] == "private, max-age=300"
    assert config_of(response.content)["regime"]["name"] == "opt_out"


def test_cookie_domain_and_sibling_origins_travel_with_the_domains_chunk(client, demo_network, geo_header):
    demo_network.cookie_domain = ".biztonet.test"
    demo_network.allowed_origins = ["https://www.biztonet.test", "https://biztonet.example"]
    demo_network.save()
    config = config_of(embed(client, "FR", geo_header).content)
    assert config["cookie_domain"] == ".biztonet.test"
    assert config["handover"] == ["https://www.biztonet.test", "https://biztonet.example"]
    assert "/static/consent/domains.js" in config["chunks"]
    demo_network.allowed_origins = ["https://www.biztonet.test"]
    demo_network.save()
    config = config_of(embed(client, "FR", geo_header).content)
    assert "handover" not in config and "chunks" not in config


@pytest.mark.parametrize("place", ["FR", "US-CA", "US-NY"])
def test_network_embed_fits_the_wire_budget_in_every_regime_and_language(client, demo_network, geo_header, place):
    sizes = {}
    for lang in LANGUAGES:
        response = client.get(f"/c/network.js?lang={lang}", **{geo_header: place}, HTTP_ACCEPT_ENCODING="br")
        assert response["Content-Encoding"] == "br"
        assert brotli.decompress(response.content)
        sizes[lang] = len(response.content)
    assert max(sizes.values()) <= BUDGET, f"{place}, over {BUDGET} bytes: {sizes}"
