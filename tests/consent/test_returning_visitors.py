"""A returning visitor's decision on PostgreSQL: the subject and any stored receipt are read in
one round trip, whether this process has seen the visitor (the hint) or not (read by the failed
first-decision statement itself), and the rows are those of the general path."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.exceptions import Conflict
from consent.ledger import verify_chain
from consent.models import ConsentEvent, DecisionReceipt, Subject
from consent.services import first_decision
from consent.services.decisions import record_decision

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the fast paths are PostgreSQL's")


def decide(site, decisions, receipt_id=None, visitor="v-back"):
    return record_decision(
        site, receipt_id=receipt_id or uuid.uuid4(), decisions=decisions, method="custom", visitor_id=visitor
    )


def _separate_reads(captured):
    """Statements of the general path's receipt read and alias look-up, and its receipt insert
    (the chain's statement writes the receipt too), which must not run."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT fingerprint, body FROM consent_decisionreceipt")
        or q["sql"].startswith("SELECT kind, subject_id FROM consent_subjectalias")
        or q["sql"].startswith('INSERT INTO "consent_decisionreceipt"')
    ]


@pytest.mark.parametrize("seen", [True, False], ids=["seen by the process", "unseen by the process"])
def test_a_returning_visitor_is_found_in_one_read(site, seen):
    decide(site, {"analytics": "granted", "advertising": "granted"})
    if not seen:
        first_decision.known_aliases.clear()
    with CaptureQueriesContext(connection) as captured:
        body, created = decide(site, {"analytics": "denied"})
    assert created
    assert body["decisions"] == {"analytics": {"state": "withdrawn", "version": 2}}
    assert _separate_reads(captured) == []
    assert Subject.objects.count() == 1
    assert DecisionReceipt.objects.get(receipt_id=body["receipt_id"]).body == body
    assert list(ConsentEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]
    assert verify_chain() is None


@pytest.mark.parametrize("seen", [True, False], ids=["seen by the process", "unseen by the process"])
def test_a_returning_visitors_replay_is_answered_from_the_same_read(site, seen):
    decide(site, {"analytics": "granted"})
    rid = uuid.uuid4()
    original, created = decide(site, {"advertising": "granted"}, receipt_id=rid)
    assert created
    if not seen:
        first_decision.known_aliases.clear()
    with CaptureQueriesContext(connection) as captured:
        again, created_again = decide(site, {"advertising": "granted"}, receipt_id=rid)
    assert (again, created_again) == (original, False)
    assert _separate_reads(captured) == []
    if not seen:
        first_decision.known_aliases.clear()
    with pytest.raises(Conflict):
        decide(site, {"advertising": "denied"}, receipt_id=rid)
    assert DecisionReceipt.objects.count() == 2
    assert ConsentEvent.objects.count() == 2


def test_a_user_id_wins_over_a_visitor_id_of_the_same_value_in_the_probe(site):
    """Server refs search user ids first, then visitor ids, as `find_subject` does."""
    record_decision(site, receipt_id=uuid.uuid4(), decisions={"analytics": "granted"}, method="custom", visitor_id="x")
    record_decision(site, receipt_id=uuid.uuid4(), decisions={"analytics": "granted"}, method="api", user_id="x")
    assert Subject.objects.count() == 2
    user_subject = ConsentEvent.objects.get(method="api").subject_id
    for seen in (True, False):
        if not seen:
            first_decision.known_aliases.clear()
        record_decision(site, receipt_id=uuid.uuid4(), decisions={"advertising": "granted"}, method="api", ref="x")
        assert ConsentEvent.objects.order_by("-id").first().subject_id == user_subject
    assert verify_chain() is None
