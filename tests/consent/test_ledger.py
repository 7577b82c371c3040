"""The ledger's promises: append-only in the database, hash-chained, idempotent, latest wins."""

import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from consent.exceptions import Conflict, ConsentError
from consent.ledger import drop_guards, verify_chain
from consent.models import AliasKind, ConsentEvent, ConsentState, DecisionReceipt, Subject, SubjectAlias
from consent.services import subjects
from consent.services.decisions import minimise_ip, record_decision
from consent.services.subjects import create_subject


def decide(site, decisions, **kw):
    kw.setdefault("visitor_id", "v-1")
    kw.setdefault("method", "custom")
    return record_decision(site, receipt_id=kw.pop("receipt_id", uuid.uuid4()), decisions=decisions, **kw)


def test_update_and_delete_are_refused_by_the_database(site):
    decide(site, {"analytics": "granted"})
    event = ConsentEvent.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(decision="denied")
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE consent_consentevent SET decision = 'denied'")
    assert ConsentEvent.objects.get().decision == "granted"


def test_versions_count_per_subject_and_purpose_and_latest_wins(site):
    decide(site, {"analytics": "granted", "advertising": "granted"})
    body, _ = decide(site, {"analytics": "denied"})
    assert body["decisions"]["analytics"] == {"state": "withdrawn", "version": 2}
    state = ConsentState.objects.get(purpose__key="analytics")
    assert (state.state, state.version) == ("withdrawn", 2)
    assert ConsentState.objects.get(purpose__key="advertising").version == 1
    assert list(ConsentEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]


def test_same_id_records_once_and_returns_the_same_receipt(site):
    rid = uuid.uuid4()
    first, created = decide(site, {"analytics": "granted"}, receipt_id=rid)
    again, created_again = decide(site, {"analytics": "granted"}, receipt_id=rid)
    assert created and not created_again
    assert first == again
    assert ConsentEvent.objects.count() == 1
    with pytest.raises(Conflict):
        decide(site, {"analytics": "denied"}, receipt_id=rid)


def test_essential_purposes_cannot_be_refused(site):
    with pytest.raises(ConsentError) as err:
        decide(site, {"essential": "denied"})
    assert "decisions.essential" in err.value.fields
    with pytest.raises(ConsentError) as err:
        decide(site, {"legal_notices": "denied"})
    assert "decisions.legal_notices" in err.value.fields
    assert not ConsentEvent.objects.exists()


def test_unknown_purpose_and_method_are_named(site):
    with pytest.raises(ConsentError) as err:
        decide(site, {"nope": "granted"}, method="telepathy")
    assert err.value.code == "decision.unknown_purpose"
    assert set(err.value.fields) == {"decisions.nope", "method"}


def test_vendor_refusal_within_a_purpose(site):
    body, _ = decide(site, {"advertising": "granted"}, vendors={"partner_ads": "denied"})
    assert body["vendors"] == {"partner_ads": {"advertising": {"state": "denied", "version": 1}}}
    assert ConsentEvent.objects.filter(vendor__key="partner_ads").count() == 1


def test_chain_verifies_and_a_tampered_row_is_named(site):
    decide(site, {"analytics": "granted", "advertising": "denied"})
    decide(site, {"analytics": "denied"}, visitor_id="v-2")
    decide(site, {"advertising": "granted"})
    assert verify_chain() is None
    call_command("verify_ledger")
    victim = ConsentEvent.objects.filter(subject__aliases__value="v-1").order_by("seq")[1]
    drop_guards(connection, ["consent_consentevent"])
    ConsentEvent.objects.filter(pk=victim.pk).update(decision="granted")
    broken = verify_chain()
    assert broken.event_id == victim.pk
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_ledger", "--site", site.key)
    assert exit_info.value.code == 1


def test_a_subject_created_twice_for_one_alias_keeps_the_first(site):
    # What a request that lost the race to create a visitor's subject sees: the alias exists.
    first = create_subject(site, [(AliasKind.VISITOR, "v-race")])
    with transaction.atomic():
        assert create_subject(site, [(AliasKind.USER, "u-race"), (AliasKind.VISITOR, "v-race")]) == first
    assert Subject.objects.count() == 1
    assert list(SubjectAlias.objects.values_list("kind", "subject_id")) == [("visitor", first)]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need a concurrent database")
@pytest.mark.django_db(transaction=True)
def test_first_decisions_of_one_visitor_sent_at_once_share_one_subject(site):
    start, errors = threading.Barrier(4), []

    def send(n):
        try:
            start.wait(10)
            decide(site, {"analytics": "granted" if n % 2 else "denied"}, visitor_id="v-burst")
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert Subject.objects.count() == 1 and SubjectAlias.objects.count() == 1
    assert sorted(ConsentEvent.objects.values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert ConsentState.objects.get().version == 4
    assert verify_chain(site) is None


def _rows(visitor):
    subject = Subject.objects.get(aliases__value=visitor)
    events = list(
        ConsentEvent.objects.filter(subject=subject)
        .order_by("seq")
        .values("site", "seq", "purpose", "vendor", "decision", "version", "method", "language", "ip", "evidence")
    )
    states = list(
        ConsentState.objects.filter(subject=subject)
        .order_by("purpose", "vendor")
        .values("purpose", "vendor", "state", "version", "policy_version", "banner_version", "method")
    )
    receipt = DecisionReceipt.objects.get(subject=subject)
    return subject, events, states, receipt


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the one-statement path is PostgreSQL's")
def test_a_first_decision_in_one_statement_writes_what_the_general_path_writes(site, settings):
    kw = {"banner_version": 2, "policy_version": 1, "language": "fr", "ip": "203.0.113.9"}
    decisions = {"analytics": "granted", "advertising": "denied", "surveys": "denied"}
    with CaptureQueriesContext(connection) as captured:
        fast, created = decide(site, decisions, visitor_id="v-fast", vendors={"partner_ads": "denied"}, **kw)
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith(("INSERT", "UPDATE", "WITH"))]
    assert created and len(writes) == 1 and writes[0].lstrip().startswith("WITH a AS")
    # The general path's rows must be the same but for the ids.
    settings.LEDGER_FAST_PATHS = False
    slow, _ = decide(site, decisions, visitor_id="v-slow", vendors={"partner_ads": "denied"}, **kw)
    fast_rows, slow_rows = _rows("v-fast"), _rows("v-slow")
    assert fast_rows[1] == slow_rows[1] and len(fast_rows[1]) == 4
    assert fast_rows[2] == slow_rows[2]
    assert (fast_rows[0].last_seq, fast_rows[0].last_hash) == (
        4,
        ConsentEvent.objects.filter(subject=fast_rows[0]).order_by("seq").last().hash,
    )
    assert fast_rows[3].body == fast and slow_rows[3].body == slow
    assert {k: v for k, v in fast.items() if k not in ("receipt_id", "recorded_at", "subject")} == {
        k: v for k, v in slow.items() if k not in ("receipt_id", "recorded_at", "subject")
    }
    assert verify_chain(site) is None


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the one-statement path is PostgreSQL's")
def test_a_drawn_subject_id_found_taken_falls_back_to_the_general_path(site):
    taken = subjects.subject_ids.take()
    Subject.objects.create(id=taken, site=site)  # as after the sequence was reset by hand
    subjects.subject_ids._free.append(taken)  # so that it is handed out again
    body, created = decide(site, {"analytics": "granted"}, visitor_id="v-after-reset")
    assert created and body["decisions"]["analytics"] == {"state": "granted", "version": 1}
    assert SubjectAlias.objects.get(value="v-after-reset").subject_id != taken
    assert taken not in subjects.subject_ids._free  # the stale block was dropped, not handed out again
    assert verify_chain(site) is None


def test_a_known_visitor_and_a_reused_id_are_answered_on_every_database(site):
    rid = uuid.uuid4()
    first, _ = decide(site, {"analytics": "granted"}, visitor_id="v-known", receipt_id=rid)
    # The same request again: the stored receipt.
    assert decide(site, {"analytics": "granted"}, visitor_id="v-known", receipt_id=rid) == (first, False)
    # The same id from a new visitor is another decision: a conflict, and nothing is written.
    with pytest.raises(Conflict):
        decide(site, {"analytics": "granted"}, visitor_id="v-new", receipt_id=rid)
    assert not SubjectAlias.objects.filter(value="v-new").exists()
    # A known visitor's next decision goes on the same chain.
    body, created = decide(site, {"analytics": "denied"}, visitor_id="v-known")
    assert created and body["decisions"]["analytics"] == {"state": "withdrawn", "version": 2}
    assert Subject.objects.count() == 1 and verify_chain(site) is None


def test_visitor_is_linked_to_user_and_keeps_one_subject(site):
    decide(site, {"analytics": "granted"}, visitor_id="v-9")
    decide(site, {"analytics": "denied"}, visitor_id="v-9", user_id="user-42")
    decide(site, {"advertising": "granted"}, ref="user-42", method="api")
    assert Subject.objects.count() == 1
    assert ConsentEvent.objects.count() == 3


@pytest.mark.parametrize(
    "handling, ip, expected",
    [
        ("truncated", "203.0.113.77", "203.0.113.0"),
        ("truncated", "2001:db8:abcd:12::1", "2001:db8:abcd::"),
        ("none", "203.0.113.77", ""),
    ],
)
def test_ip_addresses_are_minimised(site, handling, ip, expected):
    site.ip_handling = handling
    assert minimise_ip(site, ip) == expected


def test_hashed_ip_is_not_the_address(site):
    site.ip_handling = "hashed"
    stored = minimise_ip(site, "203.0.113.77")
    assert len(stored) == 32 and "." not in stored and stored == minimise_ip(site, "203.0.113.5")
