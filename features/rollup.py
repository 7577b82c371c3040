"""The dashboard's daily roll-up: exact, incremental, counted once.

`roll_up()` adds every ConsentEvent above a site's watermark (an event id, so back-dated events
are counted like any other) to `DailyConsentStat` and `DailyAudienceStat` with one grouped
`INSERT ... SELECT ... ON CONFLICT DO UPDATE` per table, and moves the watermark, in one
transaction per site, with the watermark row locked so that two runs never count an event twice.
The dashboard reads the stats for events up to the watermark and counts the few events above it
live, so it is exact whether or not the roll-up ran a minute ago.

Run it every few minutes (`manage.py rollup_stats` or the `roll_up_stats` task), outside any
transaction: on PostgreSQL it briefly takes a SHARE lock on the events table to learn the highest
id below which every insert has committed.
"""

import logging

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks import task

from consent.models import RollupWatermark, Site

logger = logging.getLogger(__name__)

# How long the roll-up waits for in-flight ledger writes before leaving this run out.
LOCK_TIMEOUT = "500ms"

EVENTS = "consent_consentevent"


def day_sql(column="recorded_at"):
    """(sql, params) of the event's calendar day in TIME_ZONE, the same on both sides of the watermark."""
    return connection.ops.datetime_cast_date_sql(column, (), timezone.get_default_timezone_name())


def _upsert_sql(table, columns, events_columns):
    """INSERT ... SELECT ... GROUP BY ... ON CONFLICT: adds the counts to the rows already there."""
    keys = ", ".join(columns)
    select = ", ".join(events_columns)
    positions = ", ".join(str(i + 1) for i in range(len(columns)))
    return (
        f"INSERT INTO {table} ({keys}, events) "  # noqa: S608  (constant table and column names)
        f"SELECT {select}, COUNT(*) FROM {EVENTS} "
        "WHERE site_id = %s AND id > %s AND id <= %s AND vendor_id IS NULL "
        f"GROUP BY {positions} "
        f"ON CONFLICT ({keys}) DO UPDATE SET events = {table}.events + excluded.events"
    )


def committed_max_id():
    """The highest event id such that no lower id is still being written; None when writes keep it waiting.

    Ids are handed out before commit, so a bare MAX(id) could pass over an event whose transaction
    is still open. On PostgreSQL a SHARE lock waits for the open writers (whose INSERT holds ROW
    EXCLUSIVE from before its ids were drawn) and holds new ones back for the moment of the read.
    SQLite has one writer at a time, so what it shows is complete.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {EVENTS}")  # noqa: S608  (constant table name)
            return cursor.fetchone()[0]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f"LOCK TABLE {EVENTS} IN SHARE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {EVENTS}")  # noqa: S608  (constant table name)
            return cursor.fetchone()[0]
    except DatabaseError:
        logger.warning("rollup: ledger writes kept the lock busy; left for the next run")
        return None


def _roll_up_site(site_id, upto):
    """Count one site's events in (watermark, upto]; returns how many were added."""
    day, day_params = day_sql()
    with transaction.atomic():
        RollupWatermark.objects.get_or_create(site_id=site_id)
        mark = RollupWatermark.objects.select_for_update().get(site_id=site_id)
        after = mark.last_event_id
        if upto <= after:
            return 0
        window = [site_id, after, upto]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {EVENTS} WHERE site_id = %s AND id > %s AND id <= %s AND vendor_id IS NULL",  # noqa: S608  (constant table name)
                window,
            )
            added = cursor.fetchone()[0]
            if added:
                cursor.execute(
                    _upsert_sql(
                        "consent_dailyconsentstat",
                        ["site_id", "day", "purpose_id", "decision", "method"],
                        ["site_id", day, "purpose_id", "decision", "method"],
                    ),
                    [*day_params, *window],
                )
                cursor.execute(
                    _upsert_sql(
                        "consent_dailyaudiencestat",
                        ["site_id", "day", "jurisdiction", "language", "decision"],
                        ["site_id", day, "jurisdiction", "language", "decision"],
                    ),
                    [*day_params, *window],
                )
        mark.last_event_id = upto
        mark.rolled_up_at = timezone.now()
        mark.save(update_fields=["last_event_id", "rolled_up_at"])
    return added


def roll_up(site=None):
    """Add the events recorded since the last run to the daily stats; {site key: events added}.

    `site` is a Site (or None for every site). Safe to run concurrently and repeatedly: an event
    is counted once. Returns None when in-flight ledger writes made it give up this time.
    """
    upto = committed_max_id()
    if upto is None:
        return None
    sites = [site] if site is not None else list(Site.objects.order_by("id"))
    return {s.key: _roll_up_site(s.pk, upto) for s in sites}


@task()
def roll_up_stats(site_key=None):
    """Add the events recorded since the last run to the dashboard's daily stats (every few minutes)."""
    site = Site.objects.get(key=site_key) if site_key else None
    return roll_up(site)
