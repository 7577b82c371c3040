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
from consent.services.sql import fast_paths

logger = logging.getLogger(__name__)

# How long the roll-up waits for in-flight ledger writes before leaving this run out.
LOCK_TIMEOUT = "500ms"

EVENTS = "consent_consentevent"
# Memory for the one-scan roll-up's hash aggregate (PostgreSQL spills to disk beyond it).
ROLL_UP_WORK_MEM = "64MB"


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


DAILY = ("consent_dailyconsentstat", ["site_id", "day", "purpose_id", "decision", "method"])
AUDIENCE = ("consent_dailyaudiencestat", ["site_id", "day", "jurisdiction", "language", "decision"])


def _on_conflict(table, columns):
    keys = ", ".join(columns)
    return f"ON CONFLICT ({keys}) DO UPDATE SET events = {table}.events + excluded.events"


# PostgreSQL: both tables from one scan of the window. Each event's day is worked out once, both
# cubes are hashed at once (GROUPING SETS), and the daily cube's sum is the number of events.
# Before, a count and one INSERT ... SELECT per table read the window three times.
_ONE_SCAN_SQL = f"""
WITH cube AS MATERIALIZED (
    SELECT GROUPING(method) AS audience, day, purpose_id, decision, method, jurisdiction, language, COUNT(*) AS events
    FROM (
        SELECT {{day}} AS day, purpose_id, decision, method, jurisdiction, language FROM {EVENTS}
        WHERE site_id = %s AND id > %s AND id <= %s AND vendor_id IS NULL
    ) AS e
    GROUP BY GROUPING SETS ((day, purpose_id, decision, method), (day, jurisdiction, language, decision))
), daily AS (
    INSERT INTO {DAILY[0]} ({", ".join(DAILY[1])}, events)
    SELECT %s, day, purpose_id, decision, method, events FROM cube WHERE audience = 0
    {_on_conflict(*DAILY)}
), by_audience AS (
    INSERT INTO {AUDIENCE[0]} ({", ".join(AUDIENCE[1])}, events)
    SELECT %s, day, jurisdiction, language, decision, events FROM cube WHERE audience = 1
    {_on_conflict(*AUDIENCE)}
)
SELECT COALESCE(SUM(events), 0)::bigint FROM cube WHERE audience = 0
"""  # noqa: S608  (constant table and column names)


def _add_window(cursor, site_id, after, upto):
    """Add the site's events in (after, upto] to both tables; returns how many there were."""
    day, day_params = day_sql()
    if fast_paths():
        # The planner sizes the two hash tables from its estimate of the groups (far above the
        # 12,000 of a million events); under the default 4 MB it sorted the million rows on disk
        # instead (2.7 s of CPU against 0.9 s hashed). This transaction only.
        cursor.execute(f"SET LOCAL work_mem = '{ROLL_UP_WORK_MEM}'")
        cursor.execute(_ONE_SCAN_SQL.format(day=day), [*day_params, site_id, after, upto, site_id, site_id])
        return cursor.fetchone()[0]
    window = [site_id, after, upto]
    cursor.execute(
        f"SELECT COUNT(*) FROM {EVENTS} WHERE site_id = %s AND id > %s AND id <= %s AND vendor_id IS NULL",  # noqa: S608  (constant table name)
        window,
    )
    added = cursor.fetchone()[0]
    if added:
        for table, columns in (DAILY, AUDIENCE):
            events_columns = [day if column == "day" else column for column in columns]
            cursor.execute(_upsert_sql(table, columns, events_columns), [*day_params, *window])
    return added


def _roll_up_site(site_id, upto):
    """Count one site's events in (watermark, upto]; returns how many were added."""
    with transaction.atomic():
        RollupWatermark.objects.get_or_create(site_id=site_id)
        mark = RollupWatermark.objects.select_for_update().get(site_id=site_id)
        after = mark.last_event_id
        if upto <= after:
            return 0
        with connection.cursor() as cursor:
            added = _add_window(cursor, site_id, after, upto)
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
