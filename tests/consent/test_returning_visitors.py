"""A returning visitor's decision on PostgreSQL: the subject and any stored receipt are read in
one round trip, whether this process has seen the visitor (the hint) or not (read by the failed
first-decision statement itself), and the rows are those of the general path."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from consent.exceptions import Conflict
from consent.ledger import verify_chain
from consent.models import ConsentEvent, ConsentState, DecisionReceipt, Subject
from consent.services import first_decision
from consent.services.decisions import record_decision

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the fast paths are PostgreSQL's")


def decide(site, decisions, receipt_id=None, visitor="v-back", **kwargs):
    return record_decision(
        site, receipt_id=receipt_id or uuid.uuid4(), decisions=decisions, method="custom", visitor_id=visitor, **kwargs
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


def _ledger_statements(captured):
    """The statements that read or write the ledger: not the site's catalogue (the API caches it
    per process) and not the savepoints the test's own transaction needs."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        and not any(t in q["sql"].split(" WHERE ")[0] for t in ('FROM "consent_purpose"', 'FROM "consent_vendor"'))
    ]


@pytest.mark.parametrize("seen", [True, False], ids=["seen by the process", "unseen by the process"])
def test_a_returning_visitors_decision_is_one_read_and_one_write_without_a_lock(site, seen):
    decide(site, {"analytics": "granted", "advertising": "granted"})
    if not seen:
        first_decision.known_aliases.clear()
    with CaptureQueriesContext(connection) as captured:
        body, created = decide(site, {"analytics": "denied", "advertising": "granted", "surveys": "denied"})
    assert created
    # seen: the probe, then the chain's statement; unseen: the failed first-decision statement,
    # then the chain's statement. No lock, no separate states read.
    statements = _ledger_statements(captured)
    assert len(statements) == 2, [sql[:80] for sql in statements]
    assert not any("FOR UPDATE" in sql for sql in statements)
    assert body["decisions"] == {
        "analytics": {"state": "withdrawn", "version": 2},
        "advertising": {"state": "granted", "version": 2},
        "surveys": {"state": "denied", "version": 1},
    }
    assert verify_chain() is None


def test_a_decision_committed_between_the_read_and_the_write_sends_it_down_the_locked_path(site, monkeypatch):
    """The head read with the states has moved when the write comes: the write must change
    nothing, and the locked path must chain the decision after the other one."""
    decide(site, {"analytics": "granted", "advertising": "granted"})
    real_probe = first_decision.probe_known
    cut_in = []

    def probe_then_someone_else_decides(site_, reference, receipt_id):
        known = real_probe(site_, reference, receipt_id)
        if not cut_in:
            cut_in.append(True)
            cut_in.append(decide(site, {"advertising": "denied"}))  # written after our read
        return known

    monkeypatch.setattr("consent.services.decisions.probe_known", probe_then_someone_else_decides)
    body, created = decide(site, {"analytics": "denied", "advertising": "granted"})
    assert created and cut_in
    # advertising: granted (v1) -> withdrawn by the other decision (v2) -> granted again (v3)
    assert body["decisions"] == {
        "analytics": {"state": "withdrawn", "version": 2},
        "advertising": {"state": "granted", "version": 3},
    }
    events = list(ConsentEvent.objects.order_by("seq").values_list("seq", "decision", "version"))
    assert [seq for seq, _, _ in events] == [1, 2, 3, 4, 5]
    assert Subject.objects.get().last_seq == 5
    assert DecisionReceipt.objects.count() == 3
    assert verify_chain() is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_of_one_visitor_never_fork_or_lose_a_version(site):
    """Threads with their own connections decide for the same visitor at once: every decision is
    recorded, the chain stays one line, and each state's version counts its events."""
    decide(site, {"analytics": "granted"}, visitor="v-race")
    errors, per_thread = [], 12
    barrier = threading.Barrier(6)

    def worker(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                value = "granted" if (n + i) % 2 else "denied"
                decide(site, {"analytics": value, "advertising": value}, visitor="v-race")
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    subject = Subject.objects.get()
    assert subject.last_seq == 1 + 6 * per_thread * 2
    seqs = list(ConsentEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, subject.last_seq + 1))
    for state in ConsentState.objects.filter(subject=subject):
        assert state.version == ConsentEvent.objects.filter(subject=subject, purpose_id=state.purpose_id).count()
    assert DecisionReceipt.objects.count() == 1 + 6 * per_thread
    assert verify_chain() is None


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared statements", "client-side binding"])
def test_the_fast_paths_write_the_same_with_or_without_prepared_statements(site, settings, prepared):
    settings.LEDGER_PREPARED_STATEMENTS = prepared
    first, _ = decide(site, {"analytics": "granted", "advertising": "granted"})
    again, _ = decide(site, {"analytics": "denied"})
    first_decision.known_aliases.clear()
    unseen, _ = decide(site, {"advertising": "denied", "surveys": "granted"})
    assert first["decisions"]["analytics"] == {"state": "granted", "version": 1}
    assert again["decisions"]["analytics"] == {"state": "withdrawn", "version": 2}
    assert unseen["decisions"] == {
        "advertising": {"state": "withdrawn", "version": 2},
        "surveys": {"state": "granted", "version": 1},
    }
    assert Subject.objects.get().last_seq == 5
    assert verify_chain() is None


def test_the_banners_hint_skips_the_first_decision_attempt_for_a_visitor_unseen_by_the_process(site):
    decide(site, {"analytics": "granted"})
    first_decision.known_aliases.clear()
    with CaptureQueriesContext(connection) as captured:
        body, created = decide(site, {"analytics": "denied"}, returning=True)
    assert created and body["decisions"] == {"analytics": {"state": "withdrawn", "version": 2}}
    statements = _ledger_statements(captured)
    # the look-up, then the chain's statement: no first-decision statement tried in vain
    assert len(statements) == 2 and not any("INSERT INTO consent_subjectalias" in sql for sql in statements)
    assert verify_chain() is None


def test_a_wrong_hint_still_records_a_new_visitors_first_decision(site):
    body, created = decide(site, {"analytics": "granted"}, visitor="v-new", returning=True)
    assert created and body["decisions"] == {"analytics": {"state": "granted", "version": 1}}
    assert Subject.objects.count() == 1 and ConsentEvent.objects.get().seq == 1
    assert verify_chain() is None
