"""Regimes as data: which law applies where, what a state means under it, and the site's settings."""

import gzip
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from consent import jurisdiction, regimes
from consent.models import Decision, Purpose
from consent.rules import judge

SAMPLES = ["FR", "DE", "GB", "CH", "BR", "CA", "CA-QC", "CA-ON", "US", "US-CA", "US-TX", "US-WA", "JP", "IN", ""]


def site_like(**fields):
    values = {"regime": "opt_in", "regime_by_country": {}, "regime_settings": {}, "consent_lifetime_days": 180}
    values.update(fields)
    return SimpleNamespace(**values)


def banner_lookup(rules, code):
    """What the banner does with the config's rules (longest prefix first)."""
    for candidate in (code, code[:2]) if code else ():
        for regime, places in rules["places"].items():
            if candidate in places.split():
                return regime
    return rules["default"]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("FR", "opt_in"),
        ("CA-QC", "opt_in"),
        ("US-CA", "opt_out"),
        ("US-RI", "opt_out"),
        ("US-WA", "opt_in"),  # no comprehensive law: the site's default
        ("JP", "opt_in"),
        ("", "opt_in"),
    ],
)
def test_built_in_map_with_the_site_default_elsewhere(code, expected):
    assert regimes.regime_for(site_like(), code) == expected


def test_site_overrides_win_region_first():
    site = site_like(regime="notice", regime_by_country={"US": "opt_in", "US-TX": "opt_out", "DE": "notice"})
    assert regimes.regime_for(site, "US-CA") == "opt_in"  # the country override beats the built-in region
    assert regimes.regime_for(site, "US-TX") == "opt_out"
    assert regimes.regime_for(site, "DE") == "notice"
    assert regimes.regime_for(site, "FR") == "opt_in"
    assert regimes.regime_for(site, "JP") == "notice"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"regime": "notice"},
        {"regime": "notice", "regime_by_country": {"US": "opt_in", "US-TX": "opt_out", "DE": "notice"}},
        {"regime": "opt_out", "regime_by_country": {"CA": "opt_out", "GB": "notice"}},
    ],
)
def test_the_config_rules_give_the_same_regime_as_the_server(fields):
    site = site_like(**fields)
    rules = regimes.regime_rules(site)
    for code in SAMPLES:
        assert banner_lookup(rules, code) == regimes.regime_for(site, code), code


def test_config_rules_are_small():
    rules = regimes.regime_rules(site_like(regime="notice"))
    raw = json.dumps(rules, separators=(",", ":")).encode()
    assert len(raw) < 900 and len(gzip.compress(raw)) < 450
    assert rules["regimes"]["opt_out"]["reask_days"] == 365 and rules["regimes"]["opt_in"]["reask_days"] == 182


def test_settings_merge_the_sites_own_over_the_defaults():
    site = site_like(
        regime_settings={"opt_out": {"reask_days": 400, "sensitive": ["fi"]}, "notice": {"display": "none"}}
    )
    assert regimes.settings_for(site, "opt_out") == {"reask_days": 400, "lifetime_days": 395, "sensitive": ["fi"]}
    assert regimes.settings_for(site, "notice")["display"] == "none"
    assert regimes.settings_for(site, "opt_in") == {"reask_days": 182, "sensitive": [], "lifetime_days": 180}


# --- what a state means per regime ------------------------------------------------------------


def state(value, days_ago=0):
    return SimpleNamespace(state=value, updated_at=timezone.now() - timedelta(days=days_ago), policy_version=None)


@pytest.mark.parametrize(
    "regime, sensitive, current, days_ago, allowed",
    [
        # opt-in: today's meaning
        (None, False, None, 0, False),
        ("opt_in", False, None, 0, False),
        ("opt_in", False, Decision.GRANTED, 10, True),
        ("opt_in", False, Decision.GRANTED, 200, False),  # past the 180-day lifetime
        ("opt_in", False, Decision.DENIED, 0, False),
        # opt-out: runs until refused, unless sensitive
        ("opt_out", False, None, 0, True),
        ("opt_out", False, Decision.GRANTED, 900, True),
        ("opt_out", False, Decision.EXPIRED, 0, True),
        ("opt_out", False, Decision.DENIED, 0, False),
        ("opt_out", False, Decision.WITHDRAWN, 0, False),
        ("opt_out", True, None, 0, False),
        ("opt_out", True, Decision.GRANTED, 300, True),  # opt-out lifetime 395 days
        ("opt_out", True, Decision.GRANTED, 400, False),
        ("opt_out", True, Decision.DENIED, 0, False),
        # notice: as opt-out
        ("notice", False, None, 0, True),
        ("notice", False, Decision.DENIED, 0, False),
        ("notice", True, None, 0, False),
    ],
)
def test_judge_per_regime(site, regime, sensitive, current, days_ago, allowed):
    site.regime_settings = {"opt_out": {"sensitive": ["analytics"]}, "notice": {"sensitive": ["analytics"]}}
    key = "analytics" if sensitive else "marketing_email"
    purpose = Purpose.objects.get(site=site, key=key)
    row = state(current, days_ago) if current else None
    assert judge(purpose, row, site=site, regime=regime).allowed is allowed


def test_always_on_and_legitimate_interest_keep_their_meaning_in_every_regime(site):
    essential = Purpose.objects.get(site=site, key="essential")
    surveys = Purpose.objects.get(site=site, key="surveys")
    for regime in (None, "opt_in", "opt_out", "notice"):
        assert judge(essential, None, site=site, regime=regime).allowed
        assert judge(surveys, None, site=site, regime=regime).allowed
        assert not judge(surveys, state(Decision.DENIED), site=site, regime=regime).allowed


# --- site settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field, fragment",
    [
        ({"regime_settings": {"opt_in": {"reask_days": 30}}}, "regime_settings", "182-395. CNIL"),
        ({"regime_settings": {"opt_in": {"reask_days": 400}}}, "regime_settings", "182-395"),
        ({"regime_settings": {"opt_out": {"reask_days": 180}}}, "regime_settings", "at least 12 months"),
        ({"regime_settings": {"opt_in": {"lifetime_days": 500}}}, "regime_settings", "13 months"),
        ({"regime_settings": {"elsewhere": {}}}, "regime_settings", "not an allowed key"),
        ({"regime_settings": {"notice": {"display": "banner"}}}, "regime_settings", "not one of notice, none"),
        ({"regime_by_country": {"JP": "notice"}, "default_jurisdiction": "fr"}, "default_jurisdiction", "ISO 3166"),
        ({"cookie_domain": "acme.test"}, "cookie_domain", "leading dot"),
        ({"cookie_domain": ".test"}, "cookie_domain", "leading dot"),
        ({"cookie_domain": ".other.test"}, "cookie_domain", "not a parent"),
        ({"cookie_domain": ".cme.test"}, "cookie_domain", "not a parent"),
    ],
)
def test_site_settings_are_checked_with_the_reason(site, fields, field, fragment):
    for name, value in fields.items():
        setattr(site, name, value)
    with pytest.raises(ValidationError) as err:
        site.full_clean()
    assert any(fragment in message for message in err.value.message_dict[field]), err.value.message_dict


def test_good_site_settings_pass(site):
    site.regime_settings = {
        "opt_in": {"reask_days": 182, "lifetime_days": 395},
        "opt_out": {"reask_days": 365, "sensitive": ["marketing_email"]},
        "notice": {"display": "none"},
    }
    site.regime_by_country = {"JP": "notice", "US-CA": "opt_out"}
    site.default_jurisdiction = "US-CA"
    site.cookie_domain = ".acme.test"
    site.full_clean()


# --- offline IP database ------------------------------------------------------------------------


@pytest.fixture
def ip_database(tmp_path, settings):
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(
        IPSet(["203.0.113.0/24"]),
        {"country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "CA"}]},
    )
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"country": {"iso_code": "FR"}})
    writer.insert_network(IPSet(["192.0.2.0/24"]), {"country": {"iso_code": "XX"}})
    path = tmp_path / "geo.mmdb"
    writer.to_db_file(str(path))
    settings.GEO_IP_DATABASE = str(path)
    settings.GEO_HEADER = ""
    yield path
    jurisdiction.forget_readers()


@pytest.mark.parametrize(
    "ip, expected",
    [("203.0.113.7", ("US-CA", "ip_database")), ("198.51.100.9", ("FR", "ip_database")), ("192.0.2.1", ("", ""))],
)
def test_offline_ip_database(ip_database, ip, expected):
    site = SimpleNamespace(default_jurisdiction="")
    assert jurisdiction.resolve(site, {}, ip) == expected


def test_header_beats_the_database_and_the_default_comes_last(ip_database, settings):
    settings.GEO_HEADER = "CloudFront-Viewer-Country"
    meta = RequestFactory().get("/", HTTP_CLOUDFRONT_VIEWER_COUNTRY="DE").META
    site = SimpleNamespace(default_jurisdiction="BR")
    assert jurisdiction.resolve(site, meta, "203.0.113.7") == ("DE", "header")
    assert jurisdiction.resolve(site, {}, "10.0.0.1") == ("BR", "site_default")
    assert jurisdiction.resolve(site, {}, "") == ("BR", "site_default")


def test_a_missing_database_file_is_no_jurisdiction_not_an_error(settings, tmp_path):
    settings.GEO_IP_DATABASE = str(tmp_path / "missing.mmdb")
    settings.GEO_HEADER = ""
    assert jurisdiction.resolve(SimpleNamespace(default_jurisdiction=""), {}, "203.0.113.7") == ("", "")
