"""A TCF site for tests: the small GVL fixture (tests/cookies/gvl, vendor-list.json v3 shape)
loaded with update_gvl, and TCF switched on for a site with a published banner."""

import json
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from consent.models import LegalBasis, PolicyVersion, Purpose, Site
from cookies.models import TcfSettings
from cookies.services import publish_banner
from cookies.tcf import save_settings

GVL_DIR = Path(__file__).resolve().parent / "gvl"
GVL_FILE = GVL_DIR / "vendor-list.json"
FR_FILE = GVL_DIR / "purposes-fr.json"
CMP_ID = 300
VENDORS = [2, 8, 28, 755]
AC_IDS = [89, 1097]
TEXTS = {
    "en": {
        "title": "Your privacy at the Daily",
        "body": "We and our advertising partners use cookies with your consent.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "choose": "Choose",
        "save": "Save my choices",
        "close": "Close",
    },
    "fr": {
        "title": "Votre vie privée au Quotidien",
        "body": "Nous et nos partenaires publicitaires utilisons des cookies avec votre accord.",
        "accept_all": "Tout accepter",
        "reject_all": "Tout refuser",
        "choose": "Personnaliser",
        "save": "Enregistrer",
        "close": "Fermer",
    },
}


def gvl_data():
    return json.loads(GVL_FILE.read_text(encoding="utf-8"))


def load_fixture_gvl():
    call_command("update_gvl", file=str(GVL_FILE), translation=[f"fr={FR_FILE}"], stdout=open("/dev/null", "w"))


def make_tcf_site(key="daily", *, origins=(), enabled=True):
    """A news site with its own purposes (analytics, advertising) that uses TCF for its ad partners."""
    load_fixture_gvl()
    site = Site.objects.create(key=key, name="The Daily", languages=["en", "fr"], allowed_origins=list(origins))
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT, position=0)
    Purpose.objects.create(site=site, key="analytics", position=1)
    Purpose.objects.create(site=site, key="advertising", position=2)
    now = timezone.now()
    PolicyVersion.objects.create(site=site, version=1, published_at=now, effective_at=now)
    publish_banner(site, TEXTS)
    save_settings(
        TcfSettings(
            site=site,
            enabled=enabled,
            vendor_ids=VENDORS,
            publisher_cc="FR",
            publisher_purposes=[1, 7],
            publisher_restrictions=[{"purpose": 2, "type": 1, "vendors": [2, 755]}],
            google_ac_ids=AC_IDS,
        )
    )
    return site
