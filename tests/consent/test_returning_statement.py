"""The returning visitor's one statement (`consent.services.returning`) against the general path:
the same decisions, versions, states and receipt, and chain hashes that Python recomputes from
the stored fields, for every rule of what is stored (withdrawals, denials of what was never
granted, legitimate interest, a vendor's purposes) and for text that JSON must escape."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.ledger import event_hash, verify_chain
from consent.models import ConsentEvent, ConsentState, DecisionReceipt, Subject
from consent.services.decisions import record_decision

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the one statement is PostgreSQL's")

# Each request after the first is a returning visitor's; the comments say what is stored.
REQUESTS = [
    ({"analytics": "granted", "advertising": "granted", "surveys": "granted"}, {"partner_ads": "granted"}),
    ({"analytics": "denied", "surveys": "denied"}, {}),  # withdrawn; legitimate interest: denied
    ({"analytics": "withdrawn", "advertising": "withdrawn"}, {}),  # denied (not granted), withdrawn
    ({"surveys": "withdrawn", "marketing_email": "denied"}, {}),  # denied (not granted), denied (new)
    ({}, {"partner_ads": {"advertising": "denied"}}),  # the vendor's grant withdrawn
    ({"marketing_email": "granted", "analytics": "granted"}, {"partner_ads": "granted"}),
]
CATALOGUE = ('FROM "consent_purpose"', 'FROM "consent_vendor"')  # cached by the API per process
AWKWARD = {
    "user_agent": 'Mozilla/5.0 "quoted" back\\slash\ttab é ✓ \U0001f600',
    "language": "fr-CA",
    "jurisdiction": "FR",
    "evidence": {"note": 'é "quoted" \\ \n', "z": [1, 2], "a": None},
}


def _decide(site, visitor, decisions, vendors, now, **kwargs):
    return record_decision(
        site,
        receipt_id=uuid.uuid4(),
        decisions=decisions,
        vendors=vendors,
        method="custom",
        visitor_id=visitor,
        now=now,
        banner_version=3,
        policy_version=2,
        ip="203.0.113.9",
        **AWKWARD,
        **kwargs,
    )


def _rows(visitor):
    subject = Subject.objects.get(aliases__value=visitor)
    events = list(
        ConsentEvent.objects.filter(subject=subject)
        .order_by("seq")
        .values_list("seq", "purpose__key", "vendor__key", "decision", "version", "user_agent", "language", "evidence")
    )
    states = set(
        ConsentState.objects.filter(subject=subject).values_list("purpose__key", "vendor__key", "state", "version")
    )
    return events, states


def test_the_one_statement_stores_what_the_general_path_stores(site, settings):
    now = timezone.now()
    for step, (decisions, vendors) in enumerate(REQUESTS):
        settings.LEDGER_FAST_PATHS = True
        with CaptureQueriesContext(connection) as captured:
            fast, created = _decide(site, "v-fast", decisions, vendors, now, returning=step > 0)
        assert created
        if step:  # one statement for the ledger (besides the site's catalogue and the test's savepoints)
            ledger = [
                q["sql"]
                for q in captured.captured_queries
                if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
                and not any(table in q["sql"].split(" WHERE ")[0] for table in CATALOGUE)
            ]
            assert len(ledger) == 1 and "WITH RECURSIVE" in ledger[0], [sql[:60] for sql in ledger]
        settings.LEDGER_FAST_PATHS = False
        general, _ = _decide(site, "v-general", decisions, vendors, now)
        for body in (fast, general):
            body.pop("receipt_id"), body.pop("subject")
        assert fast == general, step
        stored = DecisionReceipt.objects.filter(subject__aliases__value="v-fast").order_by("-recorded_at", "-id")[0]
        assert {k: v for k, v in stored.body.items() if k not in ("receipt_id", "subject")} == fast
    assert _rows("v-fast") == _rows("v-general")
    assert verify_chain() is None
    # and each stored hash is the one Python computes from the stored fields
    for subject in Subject.objects.all():
        prev = ""
        for event in ConsentEvent.objects.filter(subject=subject).order_by("seq"):
            assert event.prev_hash == prev and event.hash == event_hash(event, prev)
            prev = event.hash


def test_a_replay_and_an_unknown_visitor_are_left_to_the_other_paths(site):
    now = timezone.now()
    rid = uuid.uuid4()
    first, _ = record_decision(
        site, receipt_id=rid, decisions={"analytics": "granted"}, method="custom", visitor_id="v-1", now=now
    )
    again, created = record_decision(
        site, receipt_id=rid, decisions={"analytics": "granted"}, method="custom", visitor_id="v-1", returning=True
    )
    assert (again, created) == (first, False)
    # a hint for a visitor never seen: the statement finds nobody, the first decision is written
    new, created = record_decision(
        site, receipt_id=uuid.uuid4(), decisions={"analytics": "denied"}, method="custom", visitor_id="v-2",
        returning=True,
    )  # fmt: skip
    assert created and new["decisions"] == {"analytics": {"state": "denied", "version": 1}}
    assert ConsentEvent.objects.count() == 2 and verify_chain() is None
