"""Helpers shared by the preference-centre, policy, rights and unsubscribe tests."""

import uuid

from django.core.mail.backends.locmem import EmailBackend

from consent.models import ConsentEvent, Subject
from consent.services.decisions import record_decision
from consent.services.subjects import find_subject
from features.centre.preferences import make_preference_link


def grant(site, ref, decisions, **kw):
    kw.setdefault("method", "api")
    body, _ = record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, ref=ref, **kw)
    return body


def make_user(site, ref="user-42", email="ada@example.test", decisions=None, **kw):
    """A subject known by a site user id, with an email and (optionally) some decisions."""
    grant(site, ref, decisions or {"analytics": "granted"}, **kw)
    subject_id = find_subject(site, ref)
    Subject.objects.filter(pk=subject_id).update(email=email)
    return subject_id


def open_centre(client, site, subject_id, **kw):
    """Follow a preference link the way a person would; returns the centre page response."""
    url, _ = make_preference_link(site, subject_id, **kw)
    path = url.split("://", 1)[1].split("/", 1)[1]
    entry = client.get("/" + path)
    assert entry.status_code == 302, entry.content[:300]
    return client.get(entry["Location"])


def events(subject_id, **filters):
    return list(ConsentEvent.objects.filter(subject_id=subject_id, **filters).order_by("seq"))


class FlakyEmailBackend(EmailBackend):
    """Fails the first `failures` sends of the process (class-level), then delivers to locmem."""

    failures = 1
    calls = 0

    def send_messages(self, messages):
        FlakyEmailBackend.calls += 1
        if FlakyEmailBackend.calls <= FlakyEmailBackend.failures:
            raise ConnectionRefusedError("SMTP server refused the connection")
        return super().send_messages(messages)
