"""The fast pass of verify_ledger (consent/proof/certify.py) against the detailed pass it stands in
for: on a whole ledger it returns what the detailed pass returns, and on a tampered one it never
certifies a range the detailed pass finds fault with. Also the level-by-level Merkle root and the
raw COPY reader."""

import hashlib
import uuid
from contextlib import closing
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from psycopg import DatabaseError

from consent.ledger import drop_guards
from consent.models import CompactedEvent, ConsentEvent, ConsentState, DecisionReceipt, Purpose, Site, Subject
from consent.proof import verify
from consent.proof.certify import Doubt, RangeCertifier
from consent.proof.checkpoints import checkpoint_sites
from consent.proof.merkle import TreeBuilder, merkle_root, tree_root
from consent.proof.streams import copy_lines
from consent.services.decisions import record_decision
from features.retention import apply_retention
from features.rights import erase_subject

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast pass reads with COPY")
EVERYONE = (1, 10**9)


def test_merkle_root_level_by_level_is_the_rfc_tree():
    for n in range(70):
        leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
        builder = TreeBuilder()
        for leaf in leaves:
            builder.add(leaf)
        assert merkle_root(leaves) == tree_root(leaves) == builder.root()


def decide(site, decisions, visitor, when=None, **kw):
    kw.setdefault("method", "custom")
    return record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, visitor_id=visitor, now=when, **kw)


@pytest.fixture(params=["compacted", "whole"])
def ledger(site, request):
    """Subjects with several decisions, vendors, awkward text, an erased subject, a subject with no
    events and (one of the two) events removed by retention (tombstones); then a checkpoint."""
    site.retention_days = 365
    site.save()
    long_ago = timezone.now() - timedelta(days=800)
    for n in range(4):
        decide(site, {"analytics": "granted", "advertising": "granted"}, f"v-{n}", long_ago)
        decide(site, {"analytics": "denied"}, f"v-{n}", long_ago + timedelta(days=1))
    if request.param == "compacted":
        apply_retention(site)
    decide(site, {"analytics": "granted"}, "v-0", user_agent='Mozilla "ünïcode"\t\\\n\x01\u2028', ip="203.0.113.9")
    decide(site, {"advertising": "granted"}, "v-1", evidence={"z": 1, "a": ["é\t", None, 1.5], "b\\": "x"})
    decide(site, {"advertising": "granted"}, "v-2", vendors={"partner_ads": "denied"})
    decide(site, {"analytics": "granted", "marketing_email": "granted"}, "v-5")
    decide(site, {"analytics": "denied"}, "v-6")
    erase_subject(Subject.objects.get(aliases__value="v-6"))
    Subject.objects.create(site=site)
    checkpoint_sites()
    decide(site, {"advertising": "denied"}, "v-5")  # after the checkpoint
    assert CompactedEvent.objects.exists() == (request.param == "compacted")
    return site


def both_passes():
    """(problems of the detailed pass, whether the fast pass certified) over every subject."""
    try:
        RangeCertifier(*EVERYONE, verify._CONTEXT).run()
        certified = True
    except Doubt:
        certified = False
    return verify._ChainCheck(*EVERYONE).run().problems, certified


@postgres_only
def test_the_fast_pass_certifies_a_whole_ledger_and_returns_what_the_detailed_pass_does(ledger):
    report = verify.verify_ledger()
    assert report.ok, report.problems
    assert report.detailed_ranges == 0
    events, subjects, heads = RangeCertifier(*EVERYONE, verify._CONTEXT).run()
    check = verify._ChainCheck(*EVERYONE).run()
    assert (events, subjects) == (check.events, check.subject_count) == (report.events, report.subjects)
    assert heads == {site_id: builder.done() for site_id, builder in check.heads.items()}
    assert heads  # the checkpoint's heads were rebuilt


@postgres_only
def test_the_fast_pass_counts_one_site_as_the_detailed_pass_does(ledger):
    other = Site.objects.create(key="other", name="Other")
    Purpose.objects.create(site=other, key="analytics", position=1)
    for n in range(3):
        decide(other, {"analytics": "granted"}, f"o-{n}")
    checkpoint_sites()
    whole, one = verify.verify_ledger(), verify.verify_ledger(site=other)
    assert whole.ok and one.ok and whole.detailed_ranges == one.detailed_ranges == 0
    assert (one.events, whole.events) == (3, ConsentEvent.objects.count())
    events, subjects, heads = RangeCertifier(*EVERYONE, verify._CONTEXT).run()
    check = verify._ChainCheck(*EVERYONE).run()
    assert (events, subjects) == (check.events, check.subject_count)
    assert heads == {site_id: builder.done() for site_id, builder in check.heads.items()} != {}


def _event(visitor="v-0", **filters):
    return ConsentEvent.objects.filter(subject__aliases__value=visitor, **filters).order_by("seq").last()


def _update_event(field, value, visitor="v-0"):
    ConsentEvent.objects.filter(pk=_event(visitor).pk).update(**{field: value})


def _receipt_sql(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


TAMPERING = {
    "decision": lambda: _update_event("decision", "denied"),
    "user agent": lambda: _update_event("user_agent", "Mozilla"),
    "time": lambda: _update_event("recorded_at", _event().recorded_at + timedelta(microseconds=1)),
    "evidence": lambda: _update_event("evidence", {"a": 1}, visitor="v-1"),
    "evidence key order": lambda: _update_event("evidence", {"a": ["é\t", None, 1.5], "z": 2, "b\\": "x"}, "v-1"),
    "prev hash": lambda: _update_event("prev_hash", "0" * 64),
    "hash": lambda: _update_event("hash", "0" * 64),
    "seq": lambda: _update_event("seq", 99),
    "vendor": lambda: ConsentEvent.objects.filter(vendor__isnull=False).update(vendor=None),
    "receipt id": lambda: _update_event("receipt_id", uuid.uuid4()),
    "state deleted": lambda: ConsentState.objects.filter(pk=ConsentState.objects.order_by("id").first().pk).delete(),
    "state decision": lambda: ConsentState.objects.filter(purpose__key="analytics").update(state="withdrawn"),
    "state version": lambda: ConsentState.objects.filter(purpose__key="advertising").update(version=7),
    "state event": lambda: ConsentState.objects.filter(purpose__key="analytics").update(event=_event("v-3")),
    "state injected": lambda: _receipt_sql(
        "UPDATE consent_consentstate SET state = E'x\\t1\\t1\\n1\\t1\\t\\\\N\\tx' "
        "WHERE id = (SELECT min(id) FROM consent_consentstate)"
    ),
    "head seq": lambda: Subject.objects.filter(aliases__value="v-1").update(last_seq=1),
    "head hash": lambda: Subject.objects.filter(aliases__value="v-1").update(last_hash="f" * 64),
    "head of a subject without events": lambda: Subject.objects.filter(events__isnull=True).update(last_seq=3),
    "receipt decisions": lambda: _receipt_sql(
        "UPDATE consent_decisionreceipt SET body = jsonb_set(body, '{decisions,analytics,state}', '\"denied\"') "
        "WHERE body->'decisions' ? 'analytics'"
    ),
    "receipt vendors": lambda: _receipt_sql(
        'UPDATE consent_decisionreceipt SET body = body || \'{"vendors": {"partner_ads": {}}}\''
    ),
    "receipt vendors removed": lambda: _receipt_sql("UPDATE consent_decisionreceipt SET body = body - 'vendors'"),
    "receipt deleted": lambda: DecisionReceipt.objects.filter(
        pk=DecisionReceipt.objects.order_by("-id").first().pk
    ).delete(),
    "receipt of a subject without events": lambda: DecisionReceipt.objects.create(
        site_id=Subject.objects.filter(events__isnull=True).first().site_id,
        subject=Subject.objects.filter(events__isnull=True).first(),
        receipt_id=uuid.uuid4(),
        fingerprint="0" * 64,
        body={"decisions": {"analytics": {"state": "granted", "version": 1}}},
        recorded_at=timezone.now(),
    ),
    "receipt version as a float": lambda: _receipt_sql(
        "UPDATE consent_decisionreceipt SET body = jsonb_set(body, '{decisions,analytics,version}', '1.0') "
        "WHERE body->'decisions'->'analytics'->>'version' = '1'"
    ),
    "tombstone hash": lambda: CompactedEvent.objects.filter(pk=CompactedEvent.objects.order_by("id").first().pk).update(
        hash="f" * 64
    ),
    "tombstone removed": lambda: CompactedEvent.objects.filter(
        pk=CompactedEvent.objects.order_by("id").last().pk
    ).delete(),
}


@postgres_only
@pytest.mark.parametrize("tampering", TAMPERING)
def test_the_fast_pass_never_certifies_what_the_detailed_pass_faults(ledger, tampering):
    if tampering.startswith("tombstone") and not CompactedEvent.objects.exists():
        pytest.skip("no tombstones in this ledger")
    verify.verify_ledger()  # the context of the passes
    drop_guards(connection)
    TAMPERING[tampering]()
    problems, certified = both_passes()
    assert not (certified and problems), problems
    # verify_ledger reports exactly what the detailed pass finds (the range is read again in detail).
    report = verify.verify_ledger()
    chains = [str(p) for p in report.problems if "checkpoint" not in str(p) and "compaction" not in str(p)]
    assert chains == [str(p) for p in problems]
    if tampering != "receipt version as a float":  # 1.0 == 1 for the detailed pass too
        assert problems and report.detailed_ranges == 1


@postgres_only
def test_copy_lines_can_stop_early_and_reports_errors(db):
    with closing(copy_lines("SELECT generate_series(1, %s)", [10_000])) as lines:
        assert next(lines) == b"1\n"
    # The rest was read on closing: the connection answers the next query.
    assert list(copy_lines("SELECT x, 'a\tb' FROM generate_series(1, %s) AS x", [2])) == [b"1\ta\\tb\n", b"2\ta\\tb\n"]
    with pytest.raises(DatabaseError, match="division by zero"):
        list(copy_lines("SELECT 1 / (x - 2) FROM generate_series(1, %s) AS x", [3]))
