"""Every language of the demo sites (de, es, fr, it, nl, pl, pt, tr besides en) in the banner,
the preference centre, the e-mails and the console: chosen from ?lang=, <html lang> or
Accept-Language, with a fallback."""

import json

import pytest
from django.core import mail
from django.utils import translation

from consent.models import Purpose
from cookies.texts import RUNTIME_TEXTS
from cookies.views import runtime
from demo.crm import BANNER_TEXTS
from demo.loader import load_site, spec_for
from features.centre.preferences import make_preference_link
from features.double_opt_in import request_subscription
from tests.people import make_user, open_centre
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db

# What a person reads in each language: the centre's title, a centre button, a console word.
CENTRE = {
    "de": ("Ihre Datenschutzeinstellungen", "Auswahl speichern"),
    "es": ("Sus preferencias de privacidad", "Guardar mis opciones"),
    "fr": ("Vos préférences de confidentialité", "Enregistrer mes choix"),
    "it": ("Le tue preferenze sulla privacy", "Salva le mie scelte"),
    "nl": ("Uw privacyvoorkeuren", "Mijn keuzes opslaan"),
    "pl": ("Twoje ustawienia prywatności", "Zapisz moje wybory"),
    "pt": ("As suas preferências de privacidade", "Guardar as minhas escolhas"),
    "tr": ("Gizlilik tercihleriniz", "Seçimlerimi kaydet"),
}
EMAIL_SUBJECT = {
    "de": "Bestätigen Sie Ihr Abonnement bei Acme",
    "es": "Confirme su suscripción a Acme",
    "fr": None,  # French existed before: checked only to differ from English
    "it": "Conferma la tua iscrizione a Acme",
    "nl": "Bevestig uw inschrijving bij Acme",
    "pl": "Potwierdź subskrypcję w Acme",
    "pt": "Confirme a sua subscrição em Acme",
    "tr": "Acme aboneliğinizi onaylayın",
}
LANGUAGES = sorted(CENTRE)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_centre_speaks_the_language_asked_for(client, site, lang):
    user = make_user(site)
    open_centre(client, site, user)
    html = client.get(f"/preferences/acme/?lang={lang}").content.decode()
    title, button = CENTRE[lang]
    assert f'<html lang="{lang}">' in html
    assert title in html and button in html
    assert "Your privacy preferences" not in html and "Save my choices" not in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_centre_follows_accept_language(client, site, lang):
    user = make_user(site)
    url, _ = make_preference_link(site, user)
    entry = client.get("/" + url.split("://", 1)[1].split("/", 1)[1], HTTP_ACCEPT_LANGUAGE=f"{lang}-XX, en;q=0.3")
    assert entry.status_code == 302 and entry["Location"].endswith(f"?lang={lang}")
    html = client.get(entry["Location"]).content.decode()
    assert f'<html lang="{lang}">' in html and CENTRE[lang][0] in html


def test_an_unknown_language_falls_back_to_the_site_default(client, site):
    user = make_user(site)
    open_centre(client, site, user)
    html = client.get("/preferences/acme/", HTTP_ACCEPT_LANGUAGE="ja, ko;q=0.9").content.decode()
    assert '<html lang="en">' in html and "Your privacy preferences" in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_confirmation_email_is_in_the_persons_language(site, lang):
    Purpose.objects.filter(site=site, key="marketing_email").update(double_opt_in=True)
    user = make_user(site)
    request_subscription(site, user, "marketing_email", "ada@example.test", via="api", language=lang)
    [message] = mail.outbox
    assert message.subject != "Confirm your subscription to Acme"
    if EMAIL_SUBJECT[lang]:
        assert message.subject == EMAIL_SUBJECT[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_console_speaks_the_staff_members_language(client, site, lang):
    user, device = make_staff("dpo", "DPO")
    sign_in(client, user, device)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=f"{lang};q=0.9, en;q=0.5")
    assert response.status_code == 200
    assert response["Content-Language"] == lang
    with translation.override(lang):
        expected = translation.gettext("Log out")  # Django's own admin translation
    assert expected != "Log out" and expected in response.content.decode()


def test_the_console_language_can_be_chosen_and_is_remembered(client, site):
    user, device = make_staff("dpo", "DPO")
    sign_in(client, user, device)
    assert client.get("/admin/?lang=pl")["Content-Language"] == "pl"
    assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "pl"
    assert client.get("/api/v1/sites/acme/config").get("Content-Language") is None  # not the console's


def _config(body):
    js, _ = runtime()
    text = body.decode()
    prefix = "(function(CONFIG){" + js + "})("
    assert text.startswith(prefix)
    return json.loads(text[len(prefix) : -3])


@pytest.mark.parametrize("lang", sorted(BANNER_TEXTS))
def test_the_crm_banner_speaks_each_country_domains_language(client, lang):
    """The CRM's country domains (.de, .pl, .com.tr, .com.br, .es): the banner in the page's
    language, from <html lang> (?lang=) or Accept-Language, and its dialog texts too."""
    load_site(spec_for("crm"))
    tagged = _config(client.get(f"/c/crm.js?lang={lang}").content)
    assert tagged["language"] == lang
    assert tagged["texts"]["title"] == BANNER_TEXTS[lang]["title"]
    assert tagged["texts"]["accept_all"] == BANNER_TEXTS[lang]["accept_all"]
    assert tagged["texts"]["reload_notice"] != RUNTIME_TEXTS["en"]["reload_notice"]  # runtime texts translated too
    negotiated = _config(client.get("/c/crm.js", HTTP_ACCEPT_LANGUAGE=f"{lang}-XX, en;q=0.5").content)
    assert negotiated["language"] == lang
    details = client.get(f"/c/crm/details.json?lang={lang}").json()
    names = {p["key"]: p["name"] for p in details["purposes"]}
    assert names["third_party_sharing"] != "Sharing with selected companies"
    assert details["texts"]["cookies_label"] != "Cookies and storage"


def test_a_language_the_crm_lacks_falls_back_to_english(client):
    load_site(spec_for("crm"))
    config = _config(client.get("/c/crm.js", HTTP_ACCEPT_LANGUAGE="ja").content)
    assert config["language"] == "en" and config["texts"]["title"] == "Cookies and sharing on Bitrix24"
