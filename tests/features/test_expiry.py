"""`manage.py expire_consents`: old consents get `expired` events, once, with an audit summary."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from consent.ledger import verify_chain
from consent.models import AuditEvent, ConsentEvent, ConsentState
from consent.selectors import subject_consents
from tests.people import grant, make_user


def test_old_consents_expire_once_and_are_audited(site):
    old = timezone.now() - timedelta(days=200)
    stale = make_user(site, "user-old", decisions={"analytics": "granted", "advertising": "granted"}, now=old)
    grant(site, "user-old", {"surveys": "granted"}, now=old)  # legitimate interest: does not expire
    fresh = make_user(site, "user-new", decisions={"analytics": "granted"})
    refused = make_user(site, "user-no", decisions={"analytics": "denied"}, now=old)

    out = StringIO()
    call_command("expire_consents", stdout=out)
    assert "acme: 2 consent(s) expired" in out.getvalue()
    expired = ConsentEvent.objects.filter(decision="expired")
    assert sorted(e.purpose.key for e in expired) == ["advertising", "analytics"]
    assert {e.subject_id for e in expired} == {stale}
    assert {e.method for e in expired} == {"expiry"}
    assert ConsentState.objects.get(subject_id=stale, purpose__key="analytics").state == "expired"
    assert ConsentState.objects.get(subject_id=fresh, purpose__key="analytics").state == "granted"
    assert ConsentState.objects.get(subject_id=refused, purpose__key="analytics").state == "denied"
    view = subject_consents(site, stale, label="user-old")["purposes"]["analytics"]
    assert (view["state"], view["allowed"]) == ("expired", False)

    call_command("expire_consents", stdout=StringIO())
    assert ConsentEvent.objects.filter(decision="expired").count() == 2
    summaries = AuditEvent.objects.filter(action="consents.expired").order_by("id")
    assert [a.data["events"] for a in summaries] == [2, 0]
    assert verify_chain(site) is None


def test_a_shorter_site_lifetime_is_honoured(site):
    site.consent_lifetime_days = 30
    site.save()
    make_user(site, "user-40d", decisions={"analytics": "granted"}, now=timezone.now() - timedelta(days=40))
    call_command("expire_consents", "--site", "acme", stdout=StringIO())
    assert ConsentEvent.objects.filter(decision="expired").count() == 1
