"""Retention: superseded consent events older than the site's period leave the ledger behind a
signed checkpoint and a signed compaction; the decision in force stays; verify_ledger still passes,
and tampering after a compaction is still found."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from consent.ledger import drop_guards
from consent.models import (
    AuditEvent,
    CompactedEvent,
    ConsentEvent,
    ConsentState,
    DailyConsentStat,
    LedgerCheckpoint,
    LedgerCompaction,
    Purpose,
)
from consent.proof.verify import verify_ledger
from consent.services.decisions import record_decision
from features.retention import apply_retention

pytestmark = pytest.mark.django_db


def decide(site, decisions, visitor, when, **kw):
    return record_decision(
        site,
        receipt_id=uuid.uuid4(),
        decisions=decisions,
        visitor_id=visitor,
        method="custom",
        now=when,
        **kw,
    )


@pytest.fixture
def aged(site):
    """Two visitors: old decisions later superseded, one old decision still in force, recent ones."""
    site.retention_days = 365
    site.save()
    long_ago = timezone.now() - timedelta(days=800)
    recent = timezone.now() - timedelta(days=10)
    for n in range(2):
        decide(site, {"analytics": "granted", "advertising": "granted"}, f"v-{n}", long_ago)
        decide(site, {"analytics": "denied"}, f"v-{n}", long_ago + timedelta(days=1))
        decide(site, {"analytics": "granted"}, f"v-{n}", recent)
    return site


def test_superseded_old_events_are_compacted_and_the_decision_in_force_kept(aged):
    in_force = set(ConsentState.objects.values_list("event_id", flat=True))
    before = ConsentEvent.objects.count()
    result = apply_retention(aged)
    # Per visitor: analytics granted + denied (old, superseded) go; advertising (old, in force) stays.
    assert result.events_removed == 4
    assert ConsentEvent.objects.count() == before - 4
    assert set(ConsentEvent.objects.values_list("id", flat=True)) >= in_force
    assert ConsentEvent.objects.filter(purpose__key="advertising").count() == 2
    stones = CompactedEvent.objects.all()
    assert stones.count() == 4 and all(len(s.hash) == 64 for s in stones)
    compaction = LedgerCompaction.objects.get()
    assert compaction.checkpoint_id == result.checkpoint == LedgerCheckpoint.objects.get().pk
    assert compaction.checkpoint.upto_event_id >= max(s.id for s in stones)
    entry = AuditEvent.objects.get(action="retention.applied")
    assert entry.data["events_removed"] == 4 and entry.data["compactions"] == [compaction.pk]
    report = verify_ledger()
    assert report.ok, report.problems


def test_a_second_run_removes_nothing_and_writes_no_audit_entry(aged):
    apply_retention(aged)
    again = apply_retention(aged)
    assert again.events_removed == 0
    assert AuditEvent.objects.filter(action="retention.applied").count() == 1
    assert verify_ledger().ok


def test_no_period_keeps_everything(site):
    when = timezone.now() - timedelta(days=4000)
    decide(site, {"analytics": "granted"}, "v-1", when)
    decide(site, {"analytics": "denied"}, "v-1", when)
    result = apply_retention(site)
    assert result.events_removed == 0 and ConsentEvent.objects.count() == 2


def test_later_decisions_chain_on_and_verify(aged):
    apply_retention(aged)
    decide(aged, {"analytics": "denied"}, "v-0", timezone.now())
    call_command("checkpoint_ledger", stdout=io.StringIO())
    report = verify_ledger()
    assert report.ok, report.problems


def test_the_database_refuses_to_delete_an_event_without_its_tombstone(aged):
    superseded = ConsentEvent.objects.exclude(id__in=ConsentState.objects.values_list("event_id", flat=True)).first()
    with pytest.raises(DatabaseError, match="refused|immutable"), transaction.atomic():
        ConsentEvent.objects.filter(pk=superseded.pk).delete()
    assert ConsentEvent.objects.filter(pk=superseded.pk).exists()


def test_tombstones_are_append_only(aged):
    apply_retention(aged)
    stone = CompactedEvent.objects.first()
    with pytest.raises(DatabaseError, match="refused|immutable"), transaction.atomic():
        CompactedEvent.objects.filter(pk=stone.pk).update(hash="0" * 64)
    with pytest.raises(DatabaseError, match="refused|immutable"), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM consent_compactedevent")
    with pytest.raises(DatabaseError, match="refused|immutable"), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE consent_ledgercompaction SET event_count = 0")


def test_a_forged_tombstone_deletion_is_found(aged):
    """Someone who bypasses the guard to delete a kept event and fakes a tombstone for it: the
    compaction's signed root no longer matches."""
    apply_retention(aged)
    compaction = LedgerCompaction.objects.get()
    victim = ConsentEvent.objects.filter(purpose__key="advertising").order_by("id").first()
    drop_guards(connection)
    ConsentState.objects.filter(event=victim).delete()
    CompactedEvent.objects.create(
        id=victim.pk,
        compaction=compaction,
        site_id=victim.site_id,
        subject_id=victim.subject_id,
        seq=victim.seq,
        prev_hash=victim.prev_hash,
        hash=victim.hash,
        receipt_id=victim.receipt_id,
    )
    ConsentEvent.objects.filter(pk=victim.pk).delete()
    report = verify_ledger()
    assert not report.ok
    assert any(f"compaction {compaction.pk}: its removed events differ" in str(p) for p in report.problems)


def test_an_edited_tombstone_is_found(aged):
    apply_retention(aged)
    stone = CompactedEvent.objects.order_by("id").first()
    drop_guards(connection)
    CompactedEvent.objects.filter(pk=stone.pk).update(hash="f" * 64)
    problems = [str(p) for p in verify_ledger().problems]
    assert any("its removed events differ" in p for p in problems)
    assert any("prev_hash does not link" in p for p in problems)  # the next event no longer links
    assert any("were changed or re-hashed" in p for p in problems)  # the checkpoint before the run


def test_tampering_with_a_kept_event_after_compaction_is_found(aged):
    apply_retention(aged)
    kept = ConsentEvent.objects.filter(purpose__key="advertising").order_by("id").first()
    drop_guards(connection)
    ConsentEvent.objects.filter(pk=kept.pk).update(decision="denied")
    problems = [str(p) for p in verify_ledger().problems]
    assert any(f"event {kept.pk}" in p and "content does not match its hash" in p for p in problems)


def test_analytics_data_older_than_its_period_is_deleted(site):
    site.data_retention_days = 390
    site.save()
    purpose = Purpose.objects.get(site=site, key="analytics")
    today = timezone.now().date()
    for days in (10, 389, 391, 900):
        DailyConsentStat.objects.create(
            site=site, day=today - timedelta(days=days), purpose=purpose, decision="granted", method="custom", events=1
        )
    result = apply_retention(site)
    assert result.stats_removed == 2
    assert sorted((today - d).days for d in DailyConsentStat.objects.values_list("day", flat=True)) == [10, 389]
    assert AuditEvent.objects.get(action="retention.applied").data["stats_removed"] == 2


def test_the_command_runs_every_site_with_a_period(aged):
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "acme: 4 superseded event(s) compacted" in out.getvalue()
