import os
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from consent.ledger import drop_guards, install_guards
from consent.models import LegalBasis, Purpose, Site, Vendor
from consent.process_caches import caches
from consent.tokens import make_api_key
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


def _uses_db(request):
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = bool(
        (marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
        or {"transactional_db", "live_server"} & names
    )
    return bool(marker or {"db", "transactional_db", "live_server"} & names), transactional


@pytest.fixture(autouse=True)
def ledger_guards(request):
    """Every test runs with the append-only triggers in place.

    Transactional tests commit, and the flush after them must empty the ledger tables, so
    their guards are dropped at teardown; the next test installs them again.
    """
    uses_db, transactional = _uses_db(request)
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    install_guards(connection)
    yield
    if transactional:
        drop_guards(connection)


@pytest.fixture(autouse=True)
def forget_process_caches():
    """Each test starts with no per-process memory (catalogues, built bodies, known visitors...):
    the database it was built from was rolled back (see consent.process_caches)."""
    caches.reset()


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Password hashing is not under test; the sign-in tests still go through the real flow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def forget_published_state():
    """Each test starts with an empty shared cache: built banners outlive a rolled-back database."""
    cache.clear()


@pytest.fixture
def site(db):
    site = Site.objects.create(
        key="acme",
        name="Acme",
        languages=["en", "fr"],
        allowed_origins=["https://www.acme.test"],
        consent_mode={"analytics": ["analytics_storage"], "advertising": ["ad_storage", "ad_user_data"]},
    )
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT, position=0)
    Purpose.objects.create(site=site, key="analytics", position=1)
    ads = Purpose.objects.create(site=site, key="advertising", gpc_sensitive=True, position=2)
    Purpose.objects.create(site=site, key="marketing_email", kind="communication", position=3)
    Purpose.objects.create(site=site, key="surveys", legal_basis=LegalBasis.LEGITIMATE_INTEREST, position=4)
    Purpose.objects.create(site=site, key="legal_notices", legal_basis=LegalBasis.LEGAL_OBLIGATION, position=5)
    vendor = Vendor.objects.create(site=site, key="partner_ads", name="Partner Ads", country="US")
    vendor.purposes.add(ads)
    return site


@pytest.fixture
def api_key(site):
    _, plaintext = make_api_key(site)
    return plaintext


@pytest.fixture
def auth(api_key):
    """Request headers carrying the site's API key."""
    return {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}


@pytest.fixture
def new_id():
    return lambda: str(uuid.uuid4())


# --- browser (tests/browser and the banner promises of tests/seeds) ---------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is required for browser tests: {CHROMIUM} not found (apt-get install chromium).")
    # Playwright's sync API runs its own event loop; Django must allow sync DB calls around it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
