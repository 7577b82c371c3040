"""The preference centre: entry by signed link or subject token, choices, objection, export."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from consent.models import DecisionReceipt, LegalBasis, Purpose, Site, Subject
from consent.services.subjects import find_subject
from consent.tokens import sign_subject_token
from features.centre.preferences import make_preference_link
from tests.people import events, make_user, open_centre


@pytest.fixture
def user(site):
    return make_user(site)


def test_a_signed_link_opens_the_centre_with_every_purpose(client, site, user):
    page = open_centre(client, site, user)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html
    for name in ("Analytics", "Advertising", "Marketing email", "Surveys", "Essential", "Legal notices"):
        assert name in html
    assert "Partner Ads" in html  # vendors are shown with their purpose
    assert 'name="purpose-analytics"' in html
    assert 'name="purpose-essential"' not in html  # essential is shown but cannot be toggled
    assert 'name="purpose-legal_notices"' not in html


def test_the_link_is_absolute_and_expires_in_seven_days(site, user):
    now = timezone.now()
    url, expires_at = make_preference_link(site, user, now=now)
    assert url.startswith("http://127.0.0.1:8000/preferences/acme/?link=")
    assert timedelta(days=6, hours=23) < expires_at - now <= timedelta(days=7)


@pytest.mark.parametrize(
    "mangle, status",
    [
        (lambda token: token[:-3] + "xyz", 400),  # signature does not match
        (lambda token: "not-a-token", 400),
    ],
)
def test_a_bad_link_gets_a_clear_page_and_no_data(client, site, user, mangle, status):
    url, _ = make_preference_link(site, user)
    token = url.split("link=", 1)[1]
    response = client.get(f"/preferences/acme/?link={mangle(token)}")
    assert response.status_code == status
    html = response.content.decode()
    assert "This link is not valid" in html
    assert "Analytics" not in html and "user-42" not in html


def test_a_link_for_another_site_is_refused(client, site, user):
    other = Site.objects.create(key="other", name="Other")
    url, _ = make_preference_link(site, user)
    token = url.split("link=", 1)[1]
    response = client.get(f"/preferences/{other.key}/?link={token}")
    assert response.status_code == 403
    assert "not for this site" in response.content.decode()
    assert client.get("/preferences/other/").status_code == 403  # nothing was opened


def test_an_expired_link_is_gone(client, site, user):
    url, _ = make_preference_link(site, user, now=timezone.now() - timedelta(days=8))
    response = client.get("/" + url.split("/", 3)[3])
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_subject_token_entry_good_foreign_expired_and_malformed(client, site, user):
    good = sign_subject_token(site, "user-42")
    entry = client.get(f"/preferences/acme/?token={good}")
    assert entry.status_code == 302 and "token" not in entry["Location"]
    assert client.get(entry["Location"]).status_code == 200

    other = Site.objects.create(key="other", name="Other")
    foreign = sign_subject_token(other, "user-42")
    fresh = client.__class__()
    assert fresh.get(f"/preferences/acme/?token={foreign}").status_code == 403
    expired = sign_subject_token(site, "user-42", ttl_seconds=60, now=timezone.now().timestamp() - 3600)
    assert fresh.get(f"/preferences/acme/?token={expired}").status_code == 410
    assert fresh.get("/preferences/acme/?token=garbage").status_code == 400
    assert fresh.get("/preferences/acme/").status_code == 403


def test_a_token_for_a_new_user_creates_the_subject(client, site):
    token = sign_subject_token(site, "user-new")
    entry = client.get(f"/preferences/acme/?token={token}")
    assert entry.status_code == 302
    assert find_subject(site, "user-new") is not None


def test_unknown_site_is_a_404_page(client, db):
    assert client.get("/preferences/nope/?link=x").status_code == 404


def test_saving_choices_records_preference_centre_events(client, site, user):
    open_centre(client, site, user)
    before = len(events(user))
    response = client.post(
        "/preferences/acme/choices",
        {"purpose-analytics": "denied", "purpose-advertising": "granted", "purpose-marketing_email": "denied"},
        HTTP_USER_AGENT="pytest-browser",
    )
    assert response.status_code == 302
    new = events(user)[before:]
    assert [(e.purpose.key, e.decision, e.method) for e in new] == [
        ("analytics", "withdrawn", "preference_centre"),
        ("advertising", "granted", "preference_centre"),
        ("marketing_email", "denied", "preference_centre"),
    ]
    assert len({e.receipt_id for e in new}) == 1
    receipt = DecisionReceipt.objects.get(receipt_id=new[0].receipt_id)
    assert receipt.body["subject"] == "user-42" and receipt.body["method"] == "preference_centre"
    assert new[0].user_agent == "pytest-browser"
    # Saving the same choices again records nothing and says so.
    again = client.post(
        "/preferences/acme/choices",
        {"purpose-analytics": "denied", "purpose-advertising": "granted"},
        follow=True,
    )
    assert "Nothing changed" in again.content.decode()
    assert len(events(user)) == before + 3


def test_essential_and_legitimate_interest_cannot_be_set_through_the_consent_form(client, site, user):
    open_centre(client, site, user)
    before = len(events(user))
    response = client.post("/preferences/acme/choices", {"purpose-essential": "denied", "purpose-surveys": "granted"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "essential" in html and "cannot be changed here" in html
    assert len(events(user)) == before


def test_one_click_objection_to_a_legitimate_interest_purpose(client, site, user):
    open_centre(client, site, user)
    client.post("/preferences/acme/object/surveys")
    [event] = events(user, purpose__key="surveys")
    assert (event.decision, event.method) == ("denied", "preference_centre")
    page = client.get("/preferences/acme/").content.decode()
    assert "You objected" in page and "Withdraw my objection to Surveys" in page
    client.post("/preferences/acme/object/surveys")  # replay: already objected
    assert len(events(user, purpose__key="surveys")) == 1
    client.post("/preferences/acme/object/surveys", {"objection": "withdraw"})
    assert events(user, purpose__key="surveys")[-1].decision == "granted"
    assert client.post("/preferences/acme/object/analytics").status_code == 400  # consent purpose


def test_withdraw_everything(client, site):
    subject = make_user(site, decisions={"analytics": "granted", "advertising": "granted", "marketing_email": "denied"})
    open_centre(client, site, subject)
    client.post("/preferences/acme/withdraw-all")
    latest = {e.purpose.key: e.decision for e in events(subject)}
    assert latest == {
        "analytics": "withdrawn",
        "advertising": "withdrawn",
        "marketing_email": "denied",
        "surveys": "denied",
    }
    before = len(events(subject))
    client.post("/preferences/acme/withdraw-all")
    assert len(events(subject)) == before


def test_history_and_policy_version_are_shown(client, site, user):
    page = open_centre(client, site, user).content.decode()
    assert "History" in page and "The site, on your behalf" in page
    assert "No policy version has been published yet." in page


def test_download_json_and_csv_of_own_records(client, site, user):
    open_centre(client, site, user)
    client.post("/preferences/acme/choices", {"purpose-advertising": "granted"})
    data = json.loads(client.get("/preferences/acme/export.json").content)
    assert data["subject"] == "user-42" and data["email"] == "ada@example.test"
    assert data["purposes"]["advertising"]["state"] == "granted"
    assert [h["method"] for h in data["history"]] == ["api", "preference_centre"]
    response = client.get("/preferences/acme/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["purpose"], r["state"]) for r in rows] == [("analytics", "granted"), ("advertising", "granted")]
    assert client.get("/preferences/acme/export.xml").status_code == 404


def test_french(client, site, user):
    Purpose.objects.filter(key="analytics").update(translations={"fr": {"name": "Mesure d'audience"}})
    page = open_centre(client, site, user)
    page = client.get("/preferences/acme/?lang=fr").content.decode()
    assert '<html lang="fr">' in page
    assert "Vos préférences de confidentialité" in page
    assert "Mesure d&#x27;audience" in page
    assert "Enregistrer mes choix" in page
    # Accept-Language is honoured when nothing was chosen yet.
    other = client.__class__()
    url, _ = make_preference_link(site, user)
    entry = other.get("/" + url.split("/", 3)[3], HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")
    assert "Vos préférences" in other.get(entry["Location"]).content.decode()


def test_posts_need_the_session_and_csrf(site, user):
    from django.test import Client

    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/preferences/acme/withdraw-all").status_code == 403
    strict = Client(enforce_csrf_checks=True)
    open_centre(strict, site, user)
    assert strict.post("/preferences/acme/withdraw-all").status_code == 403  # no CSRF token
    assert len(events(user)) == 1


def test_an_erased_subject_cannot_be_opened(client, site, user):
    Subject.objects.filter(pk=user).update(erased_at=timezone.now())
    url, _ = make_preference_link(site, user)
    assert client.get("/" + url.split("/", 3)[3]).status_code == 410


def test_parental_consent_for_minors(site):
    from consent.exceptions import ConsentError
    from tests.people import grant

    Purpose.objects.create(
        site=site,
        key="kids_newsletter",
        kind="communication",
        legal_basis=LegalBasis.CONSENT,
        requires_parental_consent=True,
    )
    with pytest.raises(ConsentError) as err:
        grant(site, "kid-1", {"kids_newsletter": "granted"}, age=12)
    assert err.value.status == 400
    assert set(err.value.fields) == {"parental_consent.given_by", "parental_consent.method"}
    assert find_subject(site, "kid-1") is None  # nothing stored
    evidence = {"given_by": "parent (account holder)", "method": "verified email to parent"}
    grant(site, "kid-1", {"kids_newsletter": "granted"}, age=12, parental_consent=evidence)
    [event] = events(find_subject(site, "kid-1"))
    assert event.evidence == {"parental_consent": evidence}
    # An adult needs no such evidence; a refusal never does.
    grant(site, "adult-1", {"kids_newsletter": "granted"}, age=30)
    grant(site, "kid-2", {"kids_newsletter": "denied"}, age=12)
    # Birth year on the subject counts when no age is given.
    subject_id = make_user(site, "teen-1", decisions={"analytics": "granted"})
    Subject.objects.filter(pk=subject_id).update(birth_year=timezone.now().year - 14)
    with pytest.raises(ConsentError) as err:
        grant(site, "teen-1", {"kids_newsletter": "granted"})
    assert "parental_consent.given_by" in err.value.fields
    with pytest.raises(ConsentError) as err:
        grant(site, "kid-3", {"kids_newsletter": "granted"}, age="twelve")
    assert "age" in err.value.fields


def _kids_newsletter(site):
    return Purpose.objects.create(
        site=site, key="kids_newsletter", kind="communication", requires_parental_consent=True, position=9
    )


def test_an_age_given_once_is_remembered_while_the_person_is_a_minor(site):
    from consent.exceptions import ConsentError
    from tests.people import grant

    _kids_newsletter(site)
    grant(site, "kid-5", {"analytics": "granted"}, age=14)  # the subject's first decision
    kid = Subject.objects.get(pk=find_subject(site, "kid-5"))
    assert kid.birth_year == timezone.now().year - 14
    with pytest.raises(ConsentError) as err:  # no age this time: still a minor
        grant(site, "kid-5", {"kids_newsletter": "granted"})
    assert "parental_consent.method" in err.value.fields
    grant(site, "kid-5", {"analytics": "denied"}, age=17)  # 16 is this site's age of consent
    kid.refresh_from_db()
    assert kid.birth_year is None
    grant(site, "kid-5", {"kids_newsletter": "granted"})
    grant(site, "adult-5", {"analytics": "granted"}, age=40)
    assert Subject.objects.get(pk=find_subject(site, "adult-5")).birth_year is None  # nothing kept


def test_a_minor_gives_a_parents_agreement_in_the_centre(client, site):
    _kids_newsletter(site)
    subject_id = make_user(site, "teen-7", decisions={"analytics": "granted"})
    page = open_centre(client, site, subject_id).content.decode()
    assert "parental_given_by" not in page  # not a known minor
    Subject.objects.filter(pk=subject_id).update(birth_year=timezone.now().year - 13)
    page = client.get("/preferences/acme/").content.decode()
    assert 'name="parental_given_by"' in page and 'name="parental_method"' in page
    refused = client.post("/preferences/acme/choices", {"purpose-kids_newsletter": "granted"})
    assert refused.status_code == 400 and "parental_consent.given_by" in refused.content.decode()
    assert not events(subject_id, purpose__key="kids_newsletter")
    saved = client.post(
        "/preferences/acme/choices",
        {"purpose-kids_newsletter": "granted", "parental_given_by": "parent account", "parental_method": "by email"},
    )
    assert saved.status_code == 302
    [event] = events(subject_id, purpose__key="kids_newsletter")
    assert (event.decision, event.method) == ("granted", "preference_centre")
    assert event.evidence["parental_consent"] == {"given_by": "parent account", "method": "by email"}


def test_parental_consent_through_the_server_api(site, api_key):
    from rest_framework.test import APIClient

    Purpose.objects.create(site=site, key="kids_newsletter", kind="communication", requires_parental_consent=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    body = {"id": "6f1c0a52-8d5e-4a4b-9a53-1c1a3b7e0d11", "decisions": {"kids_newsletter": "granted"}, "age": 12}
    response = api.post("/api/v1/subjects/kid-9/decisions", body, format="json")
    assert response.status_code == 400, response.content
    assert "parental_consent.given_by" in response.json()["error"]["fields"]


def test_the_server_api_hands_out_preference_links(client, site, api_key, settings):
    from rest_framework.test import APIClient

    settings.PUBLIC_BASE_URL = "https://consent.example.com"
    api = APIClient()
    assert api.post("/api/v1/subjects/user-42/preference-link").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    response = api.post("/api/v1/subjects/user-77/preference-link", {"email": "bo@example.test"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["url"].startswith("https://consent.example.com/preferences/acme/?link=")
    assert body["expires_at"].endswith("Z")
    subject_id = find_subject(site, "user-77")
    assert Subject.objects.get(pk=subject_id).email == "bo@example.test"
    entry = client.get("/" + body["url"].split("/", 3)[3])
    assert entry.status_code == 302
    assert "Your privacy preferences" in client.get(entry["Location"]).content.decode()

    bad = api.post("/api/v1/subjects/user-77/preference-link", {"email": "nope", "ttl_seconds": 10}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"email", "ttl_seconds"}
    assert api.post("/api/v1/subjects/user-77/preference-link", [1], format="json").status_code == 400
