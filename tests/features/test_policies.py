"""Policy versions: drafts, publication, immutability, change notifications and the re-ask."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import DatabaseError, transaction
from django.utils import timezone

from consent.exceptions import ConsentError
from consent.models import AuditEvent, Notification, PolicyVersion, Subject
from consent.selectors import subject_consents, who_may
from consent.services.subjects import find_subject
from features import notifications
from features.policies import create_draft, publish_policy, update_draft
from tests.people import FlakyEmailBackend, grant, make_user, open_centre

FLAKY = "tests.people.FlakyEmailBackend"


@pytest.fixture
def people(site):
    """Three users: two with analytics states (one without email), one with only marketing."""
    a = make_user(site, "user-a", "a@example.test", {"analytics": "granted"})
    b = make_user(site, "user-b", "", {"analytics": "denied"})
    c = make_user(site, "user-c", "c@example.test", {"marketing_email": "granted"})
    return a, b, c


def _material(site, **kw):
    return create_draft(
        site,
        text="We now share analytics with a new processor.",
        change_summary="New analytics processor.",
        material=True,
        affected_purposes=["analytics"],
        **kw,
    )


def test_publish_numbers_dates_and_audits(site, django_user_model):
    dpo = django_user_model.objects.create_user("dpo")
    first = create_draft(site, text="v1", actor=dpo)
    publish_policy(first, dpo)
    second = _material(site)
    now = timezone.now()
    publish_policy(second, dpo, now=now)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.effective_at == first.published_at
    assert second.effective_at == now + timedelta(days=30)
    audit = AuditEvent.objects.filter(action="policy.published").order_by("id").last()
    assert audit.actor == dpo and audit.data["affected_purposes"] == ["analytics"] and audit.data["version"] == 2


def test_material_change_needs_the_notice_period_and_purposes(site):
    policy = _material(site)
    with pytest.raises(ConsentError) as err:
        publish_policy(policy, effective_at=timezone.now() + timedelta(days=10))
    assert "effective_at" in err.value.fields
    site.notice_period_days = 5
    site.save()
    policy.refresh_from_db()
    publish_policy(policy, effective_at=timezone.now() + timedelta(days=10))
    bare = create_draft(site, text="x", material=True)
    with pytest.raises(ConsentError) as err:
        publish_policy(bare)
    assert "affected_purposes" in err.value.fields
    assert not PolicyVersion.objects.get(pk=bare.pk).is_published


def test_published_versions_are_immutable(site):
    policy = create_draft(site, text="v1")
    update_draft(policy, text="v1, corrected")
    publish_policy(policy)
    with pytest.raises(ConsentError):
        update_draft(policy, text="sneaky")
    with pytest.raises(ConsentError):
        publish_policy(policy)
    with pytest.raises(DatabaseError), transaction.atomic():
        PolicyVersion.objects.filter(pk=policy.pk).update(text="sneaky")
    with pytest.raises(DatabaseError), transaction.atomic():
        PolicyVersion.objects.filter(pk=policy.pk).delete()
    assert PolicyVersion.objects.get(pk=policy.pk).text == "v1, corrected"


def test_material_change_notifies_affected_subjects_with_an_email(site, people):
    a, b, c = people
    policy = _material(site)
    publish_policy(policy)
    [notice] = Notification.objects.all()
    assert notice.subject_id == a  # b has no email, c has no analytics state
    assert (notice.status, notice.attempts) == ("sent", 1)
    [message] = mail.outbox
    assert message.to == ["a@example.test"]
    assert "New analytics processor." in message.body
    assert "/notices/" in message.body and "/preferences/acme/?link=" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and 'lang="en"' in html
    assert AuditEvent.objects.filter(action="notification.sent", object_id=str(notice.pk)).count() == 1


def test_the_email_speaks_the_language_the_person_chose(site, people):
    a, _, c = people
    grant(site, "user-c", {"analytics": "granted"}, language="fr")  # c last chose in French
    publish_policy(_material(site))
    by_address = {m.to[0]: m for m in mail.outbox}
    french, english = by_address["c@example.test"], by_address["a@example.test"]
    assert 'lang="fr"' in french.alternatives[0][0] and 'lang="en"' in english.alternatives[0][0]
    assert french.subject != english.subject
    assert french.extra_headers["Auto-Submitted"] == "auto-generated"


def test_service_notice_goes_to_everyone_with_an_email(site, people):
    publish_policy(create_draft(site, text="New company address.", change_summary="Address change."))
    assert sorted(Notification.objects.values_list("subject_id", flat=True)) == sorted([people[0], people[2]])
    assert len(mail.outbox) == 2


def test_a_failed_delivery_is_retried_and_then_sent(site, people, settings):
    settings.EMAIL_BACKEND = FLAKY
    FlakyEmailBackend.calls, FlakyEmailBackend.failures = 0, 1
    publish_policy(_material(site))
    notice = Notification.objects.get()
    assert (notice.status, notice.attempts) == ("sent", 2)
    assert "ConnectionRefusedError" in notice.last_error
    actions = list(
        AuditEvent.objects.filter(object_type="notification").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["notification.attempt_failed", "notification.sent"]
    assert len(mail.outbox) == 1


def test_delivery_gives_up_after_max_attempts(site, people, settings):
    settings.EMAIL_BACKEND = FLAKY
    FlakyEmailBackend.calls, FlakyEmailBackend.failures = 0, 100
    publish_policy(_material(site))
    notice = Notification.objects.get()
    assert (notice.status, notice.attempts) == ("failed", notifications.MAX_ATTEMPTS)
    assert notice.failed_at is not None and "a@example.test" not in notice.last_error
    assert AuditEvent.objects.filter(action="notification.failed").count() == 1
    assert AuditEvent.objects.filter(action="notification.attempt_failed").count() == notifications.MAX_ATTEMPTS - 1
    # A DPO can put it back in the queue once the mail server is fixed.
    FlakyEmailBackend.failures = 0
    assert notifications.retry_failed(notice)
    notice.refresh_from_db()
    assert notice.status == "sent"


def test_retry_backoff_grows():
    delays = [notifications.retry_delay(n).total_seconds() for n in range(1, 5)]
    assert delays == sorted(delays) and delays[0] == 60


def test_acknowledgement_by_email_link_and_in_the_centre(client, site, people):
    publish_policy(_material(site))
    notice = Notification.objects.get()
    path = "/" + notifications.ack_url(notice).split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and "I have read this notice" in page.content.decode()
    notice.refresh_from_db()
    assert notice.status == "sent"  # GET changes nothing
    assert "marked as read" in client.post(path).content.decode()
    notice.refresh_from_db()
    assert notice.status == "acknowledged" and notice.acknowledged_at is not None
    client.post(path)
    assert AuditEvent.objects.filter(action="notification.acknowledged").count() == 1
    assert client.get("/notices/bogus/").status_code == 400

    publish_policy(create_draft(site, text="Service notice", change_summary="Office moved."))
    second = Notification.objects.get(subject_id=people[0], status="sent")
    centre = open_centre(client, site, people[0]).content.decode()
    assert "Our policy changed (version 2)" in centre and "Office moved." in centre
    client.post(f"/preferences/acme/notices/{second.pk}/acknowledge")
    second.refresh_from_db()
    assert second.status == "acknowledged"
    assert "Our policy changed" not in client.get("/preferences/acme/").content.decode()
    foreign = Notification.objects.get(subject_id=people[2], policy_version=second.policy_version)
    assert client.post(f"/preferences/acme/notices/{foreign.pk}/acknowledge").status_code == 404


def test_consents_are_asked_again_from_the_effective_date(site, people):
    a = people[0]
    publish_policy(create_draft(site, text="v1"))
    grant(site, "user-a", {"analytics": "granted"}, policy_version=1)
    now = timezone.now()
    policy = _material(site)
    publish_policy(policy, now=now)
    before = subject_consents(site, a, label="user-a", now=now + timedelta(days=29))["purposes"]["analytics"]
    assert (before["allowed"], before["needs_reconsent"]) == (True, False)
    later = now + timedelta(days=31)
    after = subject_consents(site, a, label="user-a", now=later)["purposes"]["analytics"]
    assert (after["allowed"], after["needs_reconsent"]) == (False, True)
    analytics = site.purposes.get(key="analytics")
    assert who_may(site, analytics, ["user-a"], now=later) == ([], ["user-a"])
    # Marketing was not affected by the change.
    marketing = site.purposes.get(key="marketing_email")
    grant(site, "user-a", {"marketing_email": "granted"}, policy_version=1)
    assert who_may(site, marketing, ["user-a"], now=later) == (["user-a"], [])
    # Consenting again under the new version makes it valid again.
    grant(site, "user-a", {"analytics": "granted"}, policy_version=2, now=later)
    assert who_may(site, analytics, ["user-a"], now=later + timedelta(seconds=1)) == (["user-a"], [])


def test_erased_subjects_are_not_notified(site, people):
    Subject.objects.filter(pk=find_subject(site, "user-a")).update(erased_at=timezone.now())
    publish_policy(_material(site))
    assert not Notification.objects.exists()
