"""Banner versions freeze what visitors are shown; the config is built from that frozen snapshot."""

import pytest
from django.db import DatabaseError, transaction

from consent.exceptions import ConsentError, NotFound
from consent.models import AuditEvent, Purpose
from cookies.models import BannerVersion, CookieDeclaration
from cookies.services import banner_config, publish_banner, publish_banner_draft, save_banner_draft

TEXTS = {
    "en": {
        "title": "Cookies",
        "body": "We ask first.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "choose": "Choose",
        "save": "Save",
        "close": "Close",
    },
    "fr": {
        "title": "Cookies",
        "body": "Nous demandons d'abord.",
        "accept_all": "Tout accepter",
        "reject_all": "Tout refuser",
        "choose": "Choisir",
        "save": "Enregistrer",
        "close": "Fermer",
    },
}


def test_config_comes_from_the_published_snapshot(site):
    analytics = Purpose.objects.get(site=site, key="analytics")
    analytics.translations = {"en": {"name": "Analytics"}, "fr": {"name": "Mesure d'audience"}}
    analytics.save()
    CookieDeclaration.objects.create(site=site, name="_ga_*", purpose=analytics, lifetime_seconds=3600)
    banner = publish_banner(site, TEXTS)
    assert banner.version == 1
    Purpose.objects.create(site=site, key="added_later")

    config = banner_config(site, "fr-FR")
    assert config["language"] == "fr" and config["banner_version"] == 1
    assert config["texts"]["accept_all"] == "Tout accepter"
    keys = [p["key"] for p in config["purposes"]]
    assert "added_later" not in keys and keys[0] == "essential"
    named = {p["key"]: p for p in config["purposes"]}
    assert named["analytics"]["name"] == "Mesure d'audience"
    assert named["essential"]["essential"] and named["legal_notices"]["essential"]
    assert named["advertising"]["gpc_sensitive"] and named["advertising"]["vendors"] == ["partner_ads"]
    assert config["cookies"][0]["name"] == "_ga_*"
    assert config["consent_mode"]["analytics"] == ["analytics_storage"]
    assert AuditEvent.objects.filter(action="banner.published").count() == 1

    assert publish_banner(site, TEXTS).version == 2
    assert "added_later" in [p["key"] for p in banner_config(site, "en")["purposes"]]


def test_published_banner_cannot_be_changed(site):
    banner = publish_banner(site, TEXTS)
    with pytest.raises(DatabaseError), transaction.atomic():
        BannerVersion.objects.filter(pk=banner.pk).update(texts={})
    draft = BannerVersion.objects.create(site=site, texts=TEXTS)
    BannerVersion.objects.filter(pk=draft.pk).update(texts={"en": TEXTS["en"]})


def test_missing_texts_are_named(site):
    with pytest.raises(ConsentError) as err:
        publish_banner(site, {"en": {"title": "x"}})
    assert "texts.en" in err.value.fields


def test_no_published_banner_is_not_found(site):
    with pytest.raises(NotFound):
        banner_config(site, "en")


@pytest.mark.django_db
def test_drafts_are_written_through_one_service_that_validates_and_audits(site):
    draft = save_banner_draft(site, TEXTS)
    again = save_banner_draft(site, {**TEXTS, "en": {**TEXTS["en"], "title": "New"}}, draft=draft)
    assert again.pk == draft.pk and again.texts["en"]["title"] == "New"
    assert AuditEvent.objects.filter(action="banner.draft_saved", site=site).count() == 2
    with pytest.raises(ConsentError) as missing:
        save_banner_draft(site, {"en": {"title": "Only a title"}}, draft=draft)
    assert missing.value.code == "banner.invalid"
    published = publish_banner_draft(draft)
    with pytest.raises(ConsentError) as frozen:
        save_banner_draft(site, TEXTS, draft=published)
    assert frozen.value.code == "banner.not_a_draft"
    assert BannerVersion.objects.get(pk=draft.pk).texts["en"]["title"] == "New"
