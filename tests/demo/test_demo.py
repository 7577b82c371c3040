"""The demo loader builds real-looking sites from the seed policies, idempotently, with a valid ledger."""

import re
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from consent.ledger import verify_chain
from consent.models import (
    ApiKey,
    AuditEvent,
    ConsentEvent,
    ConsentState,
    DecisionReceipt,
    Method,
    PolicyVersion,
    Purpose,
    RightsRequest,
    Site,
    Subject,
    Vendor,
)
from consent.regimes import regime_for, starts_allowed
from consent.tokens import find_api_key
from cookies.models import BannerVersion, CookieDeclaration
from demo.loader import SPECS

pytestmark = pytest.mark.django_db

MODELS = (
    Site,
    Purpose,
    Vendor,
    CookieDeclaration,
    PolicyVersion,
    BannerVersion,
    AuditEvent,
    Subject,
    ConsentEvent,
    ConsentState,
    DecisionReceipt,
    RightsRequest,
)


LINES = [
    "site network bizTOnet",
    "site bizsoft BizXpert",
    "site mailer Technology Toolbox",
    "site crm Bitrix24",
    "site livechat Bconnect",
]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_load_demo_builds_both_sites_from_the_policies():
    out = run("load_demo")
    assert out.splitlines() == LINES

    network = Site.objects.get(key="network")
    purposes = {p.key: p for p in network.purposes.all()}
    assert purposes["essential"].legal_basis == "contract" and purposes["essential"].essential
    assert purposes["service_messages"].always_allowed
    assert purposes["analytics"].legal_basis == "consent" and not purposes["analytics"].always_allowed
    assert purposes["advertising"].gpc_sensitive and purposes["third_party_sharing"].gpc_sensitive
    assert purposes["precise_location"].legal_basis == "consent"
    assert purposes["surveys"].legal_basis == "legitimate_interest"
    assert purposes["marketing_email"].kind == "communication"
    assert purposes["ccpa_financial_incentives"].legal_basis == "consent"
    assert purposes["marketing_email"].requires_parental_consent and network.age_of_digital_consent == 16
    assert network.regime_by_country == {"US-CA": "opt_out"}
    assert (network.regime, network.default_jurisdiction) == ("notice", "FR")
    assert [regime_for(network, j) for j in ("FR", "DE", "US-CA", "JP", "")] == [
        "opt_in",
        "opt_in",
        "opt_out",
        "notice",
        "notice",
    ]
    californian = SimpleNamespace(key="analytics", always_allowed=False)
    incentive = SimpleNamespace(key="ccpa_financial_incentives", always_allowed=False)
    assert starts_allowed(network, californian, "opt_out") and not starts_allowed(network, incentive, "opt_out")
    network.full_clean()
    assert network.consent_mode["advertising"] == ["ad_storage", "ad_user_data", "ad_personalization"]
    assert {"http://127.0.0.1:8000", "http://localhost:8000"} <= set(network.allowed_origins)
    for purpose in purposes.values():
        assert purpose.text("en", "description") and purpose.text("fr", "description") != purpose.text(
            "en", "description"
        )
    ads = Vendor.objects.get(site=network, key="partner_ads")
    assert set(ads.purposes.values_list("key", flat=True)) == {"advertising", "third_party_sharing"}
    session = CookieDeclaration.objects.get(site=network, name="sessionid")
    assert session.purpose.key == "essential" and session.lifetime_seconds is None
    assert CookieDeclaration.objects.filter(site=network, purpose__key="advertising", vendor=ads).exists()

    mailer = Site.objects.get(key="mailer")
    assert mailer.languages == ["fr", "en"] and mailer.default_language == "fr"
    assert mailer.notice_period_days == 30
    mailer_purposes = set(mailer.purposes.values_list("key", flat=True))
    assert {"essential", "analytics", "advertising", "marketing_email"} <= mailer_purposes
    optional = CookieDeclaration.objects.filter(site=mailer).exclude(purpose__key="essential")
    assert optional.exists() and all(not c.purpose.always_allowed for c in optional)
    assert max(c.lifetime_seconds or 0 for c in CookieDeclaration.objects.filter(site=mailer)) <= 395 * 86400
    assert Vendor.objects.filter(site=mailer).count() >= 3

    crm = Site.objects.get(key="crm")
    assert "https://www.crm-de.test" in crm.allowed_origins and "http://localhost:8000" in crm.allowed_origins
    sharing = Vendor.objects.filter(site=crm, purposes__key="third_party_sharing")
    assert sharing.count() >= 2

    for site in (network, mailer, crm):
        policy = PolicyVersion.objects.get(site=site)
        assert policy.version == 1 and policy.is_published and policy.text
        banner = BannerVersion.objects.get(site=site)
        assert banner.version == 1 and banner.published_at is not None
        assert set(banner.texts) == set(site.languages) and {"en", "fr"} <= set(site.languages)
        for language in ("en", "fr"):
            for key in ("title", "body", "accept_all", "reject_all", "choose", "save", "close", "gpc_notice"):
                assert banner.texts[language][key]
        assert {p["key"] for p in banner.snapshot["purposes"]} == set(site.purposes.values_list("key", flat=True))


def test_load_demo_twice_changes_nothing():
    run("load_demo")
    before = counts()
    purposes = list(Purpose.objects.order_by("id").values())
    assert run("load_demo").splitlines() == LINES
    assert counts() == before
    assert list(Purpose.objects.order_by("id").values()) == purposes


def test_history_records_a_verifiable_realistic_ledger():
    out = run("load_demo", "--history", "60", "--visitors", "150")
    assert "history network: 150 visitors" in out and "history mailer: 150 visitors" in out
    assert verify_chain() is None
    network = Site.objects.get(key="network")
    events = ConsentEvent.objects.filter(site=network)
    methods = set(events.values_list("method", flat=True))
    assert {Method.ACCEPT_ALL, Method.REJECT_ALL, Method.CUSTOM, Method.PREFERENCE_CENTRE} <= methods
    assert events.filter(decision="withdrawn").exists()
    assert set(events.values_list("language", flat=True)) == {"en", "fr"}
    assert {"FR", "US-CA"} <= set(events.values_list("jurisdiction", flat=True))
    assert events.filter(banner_version=1, policy_version=1).count() == events.count()
    days = {e.date() for e in events.values_list("recorded_at", flat=True)}
    assert len(days) > 20
    # Decisions are never recorded for purposes that cannot be refused.
    assert not events.filter(purpose__essential=True).exists()

    # A person can refuse one company within a purpose they accepted (vendor-level refusal).
    assert ConsentEvent.objects.filter(site__key="crm", vendor__isnull=False, decision="denied").exists()

    # A few rights requests per site, through the rights service: one overdue, one answered.
    assert "rights requests network: 3, one of them overdue" in out
    queue = RightsRequest.objects.filter(site=network)
    now = timezone.now()
    assert queue.filter(status="open", due_at__lt=now).count() == 1
    assert queue.filter(status="open", due_at__gte=now).count() == 1
    assert queue.filter(status="completed").count() == 1
    assert all(r.subject.aliases.filter(kind="user").exists() for r in queue)

    # Running it again does not add a second history, nor more requests.
    before = counts()
    out = run("load_demo", "--history", "60", "--visitors", "150")
    assert "history network: already present" in out and "rights requests" not in out
    assert counts() == before


def test_history_days_are_bounded():
    with pytest.raises(CommandError, match="--history"):
        call_command("load_demo", "--history", "0", stdout=StringIO())


def test_create_demo_admin_prints_a_working_login_and_api_keys(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    run("load_demo")
    out = run("create_demo_admin")
    match = re.search(r"^admin: http://127\.0\.0\.1:8000/admin/  user: dpo  password: (\S+)$", out, re.M)
    assert match
    assert client.login(username="dpo", password=match.group(1))
    keys = dict(re.findall(r"^api key (\S+): (\S+)$", out, re.M))
    assert set(keys) == {"network", "bizsoft", "mailer", "crm", "livechat"}
    assert find_api_key(keys["network"]).site.key == "network"
    assert (tmp_path / "demo-credentials.json").stat().st_mode & 0o077 == 0

    # A second run (the next serve) prints the same login and keys, and they still work.
    again = run("create_demo_admin")
    assert again == out
    assert client.login(username="dpo", password=match.group(1))
    assert find_api_key(keys["network"]).site.key == "network"
    assert ApiKey.objects.filter(site__key="network", revoked_at__isnull=True).count() == 1


def test_demo_keys_survive_a_new_database(client, settings, tmp_path):
    """With var/db.sqlite3 removed but the credentials kept, the same keys are re-created."""
    settings.VAR_DIR = tmp_path
    run("load_demo")
    keys = dict(re.findall(r"^api key (\S+): (\S+)$", run("create_demo_admin"), re.M))
    ApiKey.objects.all().delete()
    get_user_model().objects.all().delete()
    out = run("create_demo_admin")
    assert dict(re.findall(r"^api key (\S+): (\S+)$", out, re.M)) == keys
    assert find_api_key(keys["crm"]).site.key == "crm"
    password = re.search(r"password: (\S+)$", out, re.M).group(1)
    assert client.login(username="dpo", password=password)


def test_a_revoked_demo_key_is_replaced(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    run("load_demo")
    keys = dict(re.findall(r"^api key (\S+): (\S+)$", run("create_demo_admin"), re.M))
    ApiKey.objects.filter(site__key="mailer").update(revoked_at=timezone.now())
    new = dict(re.findall(r"^api key (\S+): (\S+)$", run("create_demo_admin"), re.M))
    assert new["network"] == keys["network"] and new["mailer"] != keys["mailer"]
    assert find_api_key(new["mailer"]).site.key == "mailer" and find_api_key(keys["mailer"]) is None


def test_the_landing_page_and_every_demo_page_link_every_demo_site(client):
    run("load_demo")
    home = client.get("/").content.decode()
    for spec in SPECS:
        assert f'<a href="{spec["demo_path"]}">Demo site: {spec["name"]}</a>' in home
        page = client.get(spec["demo_path"])
        assert page.status_code == 200
        others = [s for s in SPECS if s is not spec]
        for other in others:
            assert f'href="{other["demo_path"]}"' in page.content.decode()
