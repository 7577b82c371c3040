"""Technology Toolbox (seed policy 002, an email marketing tool in France), promise by promise.

Each test walks one promise of the policy against the running platform: the API as the
site's back end calls it, the pages as the person opens them, the banner in a browser.

Not yet covered here (other work in progress): the California opt-out regime (regimes).
"""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from consent.exceptions import ConsentError
from consent.models import (
    AuditEvent,
    ConsentEvent,
    DailyConsentStat,
    Method,
    PendingSubscription,
    PolicyKind,
    RightsRequest,
    Subject,
)
from features import double_opt_in
from features.policies import create_draft, publish_policy
from features.rights import extend_rights_request
from tests.seeds.helpers import (
    banner_states,
    link_in,
    load,
    methods,
    open_centre,
    open_demo,
    optional_cookies,
    path_of,
    read,
    wait_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return load("mailer")


def subscribe(backend, ref="customer-1", email="ada@example.test"):
    response = backend.post(f"subjects/{ref}/subscriptions", {"purpose": "marketing_email", "email": email})
    assert response.status_code == 202, response.content
    return response.json()


def test_newsletter_only_after_express_opt_in_confirmed_by_email(client, backend):
    """ "We send our newsletter only to those who expressly opted in" (and, as an email
    marketing tool, can prove it): a subscription is pending until the address confirms."""
    body = subscribe(backend)
    assert body["status"] == "pending"
    assert not backend.allowed("marketing_email", "customer-1")
    assert ConsentEvent.objects.filter(purpose__key="marketing_email").count() == 0
    [message] = mail.outbox
    assert message.to == ["ada@example.test"]
    assert message.subject == "Confirmez votre inscription à Technology Toolbox"
    url = link_in(message.body)
    page = client.get(path_of(url))  # mail scanners open links: that must change nothing
    assert page.status_code == 200 and "Oui, inscrivez-moi" in page.content.decode()  # the site speaks French
    assert not backend.allowed("marketing_email", "customer-1")
    done = client.post(path_of(url))
    assert done.status_code == 200 and "est confirmée" in done.content.decode()
    assert backend.allowed("marketing_email", "customer-1")
    assert methods(backend.subject_id("customer-1"), "marketing_email") == [("granted", "double_opt_in")]


def test_the_proof_holds_the_request_the_confirmation_and_the_message_sent(client, backend):
    """ "Explicit consent" must be provable: when it was asked and confirmed, for which address,
    with which message."""
    subscribe(backend)
    [message] = mail.outbox
    client.post(path_of(link_in(message.body)))
    event = ConsentEvent.objects.get(purpose__key="marketing_email")
    proof = event.evidence["double_opt_in"]
    pending = PendingSubscription.objects.get()
    sent = message.message().as_bytes()
    assert proof["message_sha256"] == hashlib.sha256(sent).hexdigest() == pending.message_sha256
    assert proof["message_id"] == message.extra_headers["Message-ID"] == pending.message_id
    assert hashlib.sha256(pending.message.encode()).hexdigest() == proof["message_sha256"]
    assert proof["address_sha256"] == hashlib.sha256(b"ada@example.test").hexdigest()
    assert pending.requested_at <= pending.confirmed_at and proof["confirmed_at"] == pending.confirmed_at.isoformat()
    assert "ada@example.test" not in str(event.evidence)  # the ledger keeps no address
    assert pending.event_id == event.pk and pending.status == "confirmed"
    # The consents API shows it with its method, like any other decision.
    history = backend.consents("customer-1")["history"]
    assert [(h["purpose"], h["method"]) for h in history] == [("marketing_email", "double_opt_in")]


def test_a_direct_grant_of_the_newsletter_is_refused(backend):
    """No newsletter consent without the confirmation: the decisions API names the field."""
    response = backend.decide("customer-2", {"marketing_email": "granted"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "decision.double_opt_in_required"
    assert "decisions.marketing_email" in error["fields"]
    assert backend.subject_id("customer-2") is None


def test_an_unconfirmed_request_expires(client, backend, settings):
    """Unconfirmed requests expire: the link then says so and grants nothing."""
    settings.DOUBLE_OPT_IN_DAYS = 2
    subscribe(backend)
    pending = PendingSubscription.objects.get()
    assert pending.expires_at - pending.requested_at == timedelta(days=2)
    PendingSubscription.objects.filter(pk=pending.pk).update(
        requested_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() - timedelta(days=1)
    )
    url = path_of(link_in(mail.outbox[0].body)) + "?lang=en"
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 410 and b"This confirmation link has expired" in response.content
    assert not backend.allowed("marketing_email", "customer-1")
    out = StringIO()
    call_command("expire_subscriptions", stdout=out)
    assert out.getvalue().strip() == "1 unconfirmed subscription request(s) forgotten"
    assert PendingSubscription.objects.get().email == "" and PendingSubscription.objects.get().message == ""
    assert double_opt_in.forget_expired() == 0


def test_the_centre_form_also_asks_for_confirmation(client, backend, site):
    """A subscription from a form is pending too: the centre sends the email and says so."""
    backend.decide("customer-3", {"analytics": "granted"})
    subject_id = backend.subject_id("customer-3")
    Subject.objects.filter(pk=subject_id).update(email="grace@example.test")
    open_centre(client, site, subject_id)
    response = client.post(f"/preferences/{site.key}/choices", {"purpose-marketing_email": "granted"}, follow=True)
    assert response.status_code == 200
    assert "confirm" in response.content.decode().lower()
    assert b'data-pending="marketing_email"' in response.content
    assert not backend.allowed("marketing_email", "customer-3")
    [message] = mail.outbox
    assert message.to == ["grace@example.test"]
    client.post(path_of(link_in(message.body)))
    assert backend.allowed("marketing_email", "customer-3")
    junk = client.post(f"/preferences/{site.key}/choices", {"purpose-news\x00": "granted"})
    assert junk.status_code == 400 and len(mail.outbox) == 1


def test_unsubscribe_link_in_every_email(client, backend):
    """ "An unsubscribe link in every email": one-click (RFC 8058), effective at once."""
    subscribe(backend)
    client.post(path_of(link_in(mail.outbox[0].body)))
    headers = backend.get("subjects/customer-1/unsubscribe-headers", purpose="marketing_email").json()
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert client.post(path_of(url), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not backend.allowed("marketing_email", "customer-1")
    assert methods(backend.subject_id("customer-1"), "marketing_email") == [
        ("granted", "double_opt_in"),
        ("withdrawn", "email_link"),
    ]


def test_policy_changes_are_notified_at_least_30_days_before_they_apply(site, backend):
    """ "Changes ... notified to you thirty (30) days at least before any changes come into force.\""""
    backend.decide("customer-4", {"analytics": "granted"})
    Subject.objects.filter(pk=backend.subject_id("customer-4")).update(email="lin@example.test")
    draft = create_draft(site, kind=PolicyKind.PRIVACY, text="New analytics provider.", material=True)
    draft.affected_purposes.set(site.purposes.filter(key="analytics"))
    now = timezone.now()
    with pytest.raises(ConsentError) as refused:
        publish_policy(draft, effective_at=now + timedelta(days=29), now=now)
    assert refused.value.code == "policy.notice_period"
    publish_policy(draft, now=now)
    draft.refresh_from_db()
    assert draft.effective_at - draft.published_at == timedelta(days=30)
    assert [m.to for m in mail.outbox] == [["lin@example.test"]]


def test_requests_answered_within_30_days(client, backend, site):
    """ "Requests are answered within 30 days": the queue's due date is 30 days, not a month."""
    backend.decide("customer-5", {"analytics": "granted"})
    open_centre(client, site, backend.subject_id("customer-5"))
    page = client.get(f"/preferences/{site.key}/?lang=en")
    assert b"We answer within 30 days" in page.content
    client.post(f"/preferences/{site.key}/requests", {"kind": "access"})
    request = RightsRequest.objects.get()
    assert request.due_at - request.received_at == timedelta(days=30)
    # The policy names no longer time for complex requests: GDPR's three months at most.
    extend_rights_request(request, "Many campaigns to search.", months=2)
    assert request.due_at > request.received_at + timedelta(days=80)


def test_campaign_statistics_can_be_objected_to(client, backend, site):
    """ "Analysing open, click and bounce rates ... You may object" (legitimate interest)."""
    assert backend.allowed("campaign_statistics", "customer-6")
    backend.decide("customer-6", {"analytics": "denied"})
    open_centre(client, site, backend.subject_id("customer-6"))
    client.post(f"/preferences/{site.key}/object/campaign_statistics")
    assert not backend.allowed("campaign_statistics", "customer-6")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_cookie_but_the_needed_ones_until_yes_and_the_choice_is_remembered(live_server, page):
    """ "Cookies are not installed by default except those needed to run the site; the visitor is
    informed by a banner and the choice is remembered.\""""
    site = load("mailer")
    open_demo(page, live_server, site)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert optional_cookies(page, site) == []
    assert page.evaluate("window.consent.get('analytics')") is None
    assert read(lambda: ConsentEvent.objects.filter(site=site).count()) == 0  # nothing recorded before a choice
    dialog.get_by_role("button", name=r"Tout refuser").or_(dialog.get_by_role("button", name="Reject all")).click()
    assert wait_for(page, lambda: banner_states(site).get("analytics") == ("denied", Method.REJECT_ALL))
    page.reload()
    page.wait_for_function("() => window.consent && window.consent._v")
    page.wait_for_function("() => window.consent.get('analytics') === false")
    page.get_by_role("dialog").wait_for(state="hidden")
    assert optional_cookies(page, site) == []
    assert wait_for(page, lambda: ConsentEvent.objects.filter(site=site, purpose__key="analytics").count() == 1)


def test_event_data_is_deleted_after_13_months(site):
    """ "Event data ... deleted every 13 months": the platform's own analytics data of the site
    (daily consent statistics) goes after 13 months, in a scheduled run that is audited."""
    assert site.data_retention_days == 390
    purpose = site.purposes.get(key="analytics")
    today = timezone.now().date()
    for age in (5, 380, 400, 800):
        DailyConsentStat.objects.create(
            site=site, day=today - timedelta(days=age), purpose=purpose, decision="granted", method="custom", events=3
        )
    call_command("apply_retention", "--site", site.key, stdout=StringIO())
    ages = sorted(
        (today - day).days for day in DailyConsentStat.objects.filter(site=site).values_list("day", flat=True)
    )
    assert ages == [5, 380]
    assert AuditEvent.objects.get(site=site, action="retention.applied").data["stats_removed"] == 2


def test_a_coming_change_is_shown_on_the_website_30_days_ahead(client, site, backend):
    """ "Notified via our Website or by email ... thirty (30) days at least before": during the
    notice period the banner carries the change (a small notice for visitors who already chose)
    and the centre shows it, both linking to the differences."""
    draft = create_draft(
        site, kind=PolicyKind.PRIVACY, text="New analytics provider.", material=True, change_summary="New provider."
    )
    draft.affected_purposes.set(site.purposes.filter(key="analytics"))
    publish_policy(draft)
    draft.refresh_from_db()
    embed = client.get(f"/c/{site.key}.js?lang=fr").content.decode()
    assert f'"notice":{{"v":{draft.version},"at":"{draft.effective_at:%Y-%m-%d}"' in embed.replace(" ", "")
    assert "Notre politique de confidentialité change le {date}." in embed
    assert client.get(f"/policies/{site.key}/{draft.version}/changes").status_code == 200
    backend.decide("customer-9", {"analytics": "granted"})
    html = open_centre(client, site, backend.subject_id("customer-9")).content.decode()
    assert f"/policies/{site.key}/{draft.version}/changes" in html and "New provider." in html


@pytest.mark.parametrize(
    "lang, title", [("fr", "Vos préférences de confidentialité"), ("en", "Your privacy preferences")]
)
def test_the_pages_in_french_and_english(client, site, backend, lang, title):
    """The site is French first, English too: the centre in each (the banner too, see test_embed)."""
    backend.decide("customer-8", {"analytics": "granted"})
    open_centre(client, site, backend.subject_id("customer-8"))
    html = client.get(f"/preferences/{site.key}/?lang={lang}").content.decode()
    assert f'<html lang="{lang}">' in html and title in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_banner_shows_a_small_notice_of_the_coming_change_once(live_server, page):
    """A visitor who already chose sees, during the notice period, a small notice of the change
    with a link to the differences (not the banner again); once closed, it stays closed."""
    site = load("mailer")
    draft = create_draft(site, kind=PolicyKind.PRIVACY, text="New provider.", material=True)
    draft.affected_purposes.set(site.purposes.filter(key="analytics"))
    publish_policy(draft)
    open_demo(page, live_server, site)
    dialog = page.get_by_role("dialog")  # a first visit: the banner, not the notice
    dialog.get_by_role("button", name=r"Tout refuser").or_(dialog.get_by_role("button", name="Reject all")).click()
    assert wait_for(page, lambda: banner_states(site).get("analytics") == ("denied", Method.REJECT_ALL))
    assert page.locator("#consent-notice").count() == 0
    page.reload()
    notice = page.locator("#consent-notice").get_by_role("status")
    notice.wait_for()
    assert page.get_by_role("dialog").count() == 0
    link = notice.get_by_role("link")
    assert link.get_attribute("href") == f"{live_server.url}/policies/{site.key}/2/changes"
    assert "change le" in notice.inner_text() or "changes on" in notice.inner_text()
    notice.get_by_role("button").click()
    page.locator("#consent-notice").wait_for(state="detached")
    with page.expect_response(lambda r: r.url.endswith("/static/consent/notice.js")):
        page.reload()
    page.wait_for_load_state("load")
    assert page.locator("#consent-notice").count() == 0
