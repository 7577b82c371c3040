"""The daily roll-up counts every event exactly once, and the dashboard stays exact around it."""

import threading
from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Max, Sum

from consent.models import (
    ConsentEvent,
    DailyAudienceStat,
    DailyConsentStat,
    Purpose,
    RollupWatermark,
    Site,
    Vendor,
)
from consent.services.chain import append_events
from consent.services.subjects import resolve_subject
from console import dashboard
from features.rollup import roll_up, roll_up_stats
from tests.console.test_dashboard import DAY1, DAY2, PERIOD, record
from tests.console.test_dashboard import history as history  # noqa: F401 (a fixture)

YEAR = dashboard.Period(date(2025, 6, 1), date(2026, 5, 31))


def from_ledger(site, period):
    """The two cubes grouped by the ORM straight from the events: the reference."""
    daily = Counter()
    for day, purpose_id, decision, method, n in dashboard.daily_cube(site, period):
        daily[(day, purpose_id, decision, method)] += n
    audience = Counter()
    for jurisdiction, language, decision, n in dashboard.audience_cube(site, period):
        audience[(jurisdiction, language, decision)] += n
    return daily, audience


def from_dashboard(site, period):
    daily_rows, audience_rows = dashboard.cubes(site, period)
    daily = Counter()
    for day, purpose_id, decision, method, n in daily_rows:
        daily[(day, purpose_id, decision, method)] += n
    audience = Counter()
    for jurisdiction, language, decision, n in audience_rows:
        audience[(jurisdiction, language, decision)] += n
    return +daily, +audience


def rolled_up_events(site):
    daily = DailyConsentStat.objects.filter(site=site).aggregate(n=Sum("events"))["n"] or 0
    audience = DailyAudienceStat.objects.filter(site=site).aggregate(n=Sum("events"))["n"] or 0
    assert daily == audience  # the two tables count the same events
    return daily


def purpose_events(site):
    return ConsentEvent.objects.filter(site=site, vendor__isnull=True).count()


def test_roll_up_then_new_events_the_dashboard_equals_the_ledger(history):
    site = history
    before = dashboard.build(site, PERIOD)
    assert from_dashboard(site, PERIOD) == from_ledger(site, PERIOD)

    assert roll_up() == {"acme": 9}
    assert rolled_up_events(site) == 9 == purpose_events(site)
    mark = RollupWatermark.objects.get(site=site)
    assert mark.last_event_id == ConsentEvent.objects.aggregate(m=Max("id"))["m"] and mark.rolled_up_at
    assert dashboard.build(site, PERIOD) == before  # now read from the stats: the same numbers

    # Recorded after the roll-up: counted live on top of the stats.
    record(site, "v6", DAY2 + timedelta(hours=3), {"analytics": "granted", "advertising": "granted"}, "accept_all")
    record(site, "v7", DAY2 + timedelta(hours=10), {"analytics": "denied"}, "gpc", "US-CA", "en")
    assert rolled_up_events(site) == 9
    for period in (PERIOD, YEAR):
        assert from_dashboard(site, period) == from_ledger(site, period)
    after = dashboard.build(site, PERIOD)
    assert after["totals"]["events"] == before["totals"]["events"] + 3
    assert after["totals"]["gpc_events"] == 2
    assert after["rate"]["analytics"] == [None, 66.7, 33.3]

    assert roll_up() == {"acme": 3}
    assert dashboard.build(site, PERIOD) == after
    # The path taken should roll-ups keep racing the reads: the ledger alone, ignoring the stats.
    ledger_only = Counter()
    for kind, day, purpose_id, decision, method, *_, n in dashboard._cube_query(site, PERIOD, None):
        if kind == 0:
            ledger_only[(date.fromisoformat(str(day)), purpose_id, decision, method)] += n
    assert ledger_only == from_ledger(site, PERIOD)[0]
    assert from_dashboard(site, YEAR) == from_ledger(site, YEAR)


def test_running_it_again_counts_nothing_twice(history):
    site = history
    assert roll_up(site) == {"acme": 9}
    stats = sorted(DailyConsentStat.objects.values_list("day", "purpose_id", "decision", "method", "events"))
    assert roll_up(site) == {"acme": 0}
    assert roll_up() == {"acme": 0}
    assert sorted(DailyConsentStat.objects.values_list("day", "purpose_id", "decision", "method", "events")) == stats
    assert rolled_up_events(site) == purpose_events(site)
    # Counts add up on the existing rows: same day, purpose, decision and method once more.
    record(site, "v8", DAY1, {"analytics": "granted", "advertising": "granted"}, "accept_all")
    assert roll_up(site) == {"acme": 2}
    row = DailyConsentStat.objects.get(
        day=DAY1.date(), purpose__key="analytics", decision="granted", method="accept_all"
    )
    assert row.events == 2
    assert DailyConsentStat.objects.count() == len(stats)
    assert from_dashboard(site, PERIOD) == from_ledger(site, PERIOD)


def test_back_dated_events_are_counted(history):
    site = history
    roll_up()
    long_ago = DAY1 - timedelta(days=40)
    record(site, "v9", long_ago, {"analytics": "denied", "advertising": "denied"}, "reject_all", "DE", "de")
    assert roll_up() == {"acme": 2}
    day = long_ago.date()
    assert DailyConsentStat.objects.filter(day=day, decision="denied").aggregate(n=Sum("events"))["n"] == 2
    assert DailyAudienceStat.objects.get(day=day, jurisdiction="DE", language="de").events == 2
    data = dashboard.build(site, dashboard.Period(day, day))
    assert data["totals"]["events"] == 2 and data["methods"][0]["method"] == "reject_all"
    assert from_dashboard(site, YEAR) == from_ledger(site, YEAR)


def add_vendor_event_and_other_site(site):
    """A vendor's event for the site, and another site with one decision; returns that site."""
    vendor = Vendor.objects.get(site=site)
    ads = Purpose.objects.get(site=site, key="advertising")
    subject_id = resolve_subject(site, visitor_id="v10")
    with transaction.atomic():
        append_events(site, subject_id, [(ads, vendor, "denied")], method="custom", recorded_at=DAY1)
    other = Site.objects.create(key="other", name="Other")
    Purpose.objects.create(site=other, key="analytics")
    record(other, "w1", DAY1, {"analytics": "granted"}, "accept_all")
    return other


def test_vendor_events_and_other_sites_are_kept_apart(history):
    site = history
    other = add_vendor_event_and_other_site(site)

    assert roll_up() == {"acme": 9, "other": 1}
    assert rolled_up_events(site) == 9 and rolled_up_events(other) == 1
    assert dashboard.build(other, PERIOD)["totals"]["events"] == 1
    assert from_dashboard(site, PERIOD) == from_ledger(site, PERIOD)


def stat_rows():
    daily = DailyConsentStat.objects.values_list("site_id", "day", "purpose_id", "decision", "method", "events")
    audience = DailyAudienceStat.objects.values_list("site_id", "day", "jurisdiction", "language", "decision", "events")
    return sorted(daily), sorted(audience)


def roll_up_both_ways(settings):
    """(one scan's result and rows, three statements' result and rows) from the same watermarks."""
    marks = {m.site_id: m.last_event_id for m in RollupWatermark.objects.all()}
    before = stat_rows()
    results = []
    for fast in (True, False):
        settings.LEDGER_FAST_PATHS = fast
        with transaction.atomic():
            added = roll_up()
            results.append((added, stat_rows()))
            transaction.set_rollback(True)  # the other way starts from the same rows
    assert stat_rows() == before and {m.site_id: m.last_event_id for m in RollupWatermark.objects.all()} == marks
    return results


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the one-scan roll-up is PostgreSQL's")
def test_one_scan_and_three_statements_count_the_same(history, settings):
    site = history
    add_vendor_event_and_other_site(site)
    record(site, "v9", DAY1 - timedelta(days=40), {"analytics": "denied"}, "reject_all", "", "")

    one_scan, three = roll_up_both_ways(settings)
    assert one_scan == three
    assert one_scan[0] == {"acme": 10, "other": 1}
    assert len(one_scan[1][0]) > 5 and len(one_scan[1][1]) > 5

    # A second window adds to rows already there, and creates others.
    roll_up()
    record(site, "v12", DAY1, {"analytics": "granted", "advertising": "granted"}, "accept_all")
    record(site, "v13", DAY2 + timedelta(days=5), {"analytics": "granted"}, "accept_all", "JP", "ja")
    one_scan, three = roll_up_both_ways(settings)
    assert one_scan == three
    assert one_scan[0] == {"acme": 3, "other": 0}


def test_the_command_and_the_task(history):
    out = StringIO()
    call_command("rollup_stats", stdout=out)
    assert "acme: 9 event(s) added" in out.getvalue()
    record(history, "v11", DAY2, {"surveys": "denied"}, "custom")
    result = roll_up_stats.enqueue()
    assert result.return_value == {"acme": 1}
    assert roll_up_stats.enqueue("acme").return_value == {"acme": 0}
    with pytest.raises(CommandError, match="No site"):
        call_command("rollup_stats", "--site", "nope")


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the lock matters where writers run concurrently")
@pytest.mark.django_db(transaction=True)
def test_an_uncommitted_event_holds_the_roll_up_back(site):
    """An id drawn by a transaction still open must not be passed over by the watermark."""
    record(site, "a1", DAY1, {"analytics": "granted"}, "accept_all")
    inserted, finish = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                record(site, "a2", DAY1, {"analytics": "denied"}, "reject_all")
                inserted.set()
                finish.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inserted.wait(10)
        assert roll_up() is None  # waited for the writer, then gave up this run
        assert not RollupWatermark.objects.filter(site=site).exists()
    finally:
        finish.set()
        thread.join(10)
    assert roll_up() == {"acme": 2}
    assert rolled_up_events(site) == 2


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent runs need a concurrent database")
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_count_each_event_once(site):
    for i in range(6):
        record(site, f"c{i}", DAY1 + timedelta(minutes=i), {"analytics": "granted", "advertising": "denied"}, "custom")
    results, start = [], threading.Barrier(4)

    def run():
        try:
            start.wait(10)
            results.append(roll_up())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    counted = [r["acme"] for r in results if r is not None]
    assert sum(counted) == 12 and sorted(counted)[-1] == 12
    assert rolled_up_events(site) == 12
