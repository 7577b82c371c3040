"""The dashboard's numbers, computed by the database.

Per site and period, one statement reads two cubes: by day, purpose, decision and method; and by
jurisdiction, language and decision. Events up to the site's roll-up watermark come from the
daily stats (`features.rollup`: a few rows per day whatever the traffic); the events recorded
since the last roll-up (normally minutes' worth) are grouped live, on PostgreSQL in one scan
with GROUPING SETS. Another query counts notification campaigns by status. Everything shown
(rates per purpose per day, the method split, withdrawals, GPC share, rates by jurisdiction and
language) is derived from those grouped rows in Python. Vendor-level events are left out: a
vendor refusal inside a purpose is not a decision on the purpose. Days are calendar days in
TIME_ZONE.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from consent.exceptions import ConsentError
from consent.models import (
    ConsentEvent,
    Decision,
    Method,
    Notification,
    NotificationStatus,
    Purpose,
    RollupWatermark,
)
from features import rollup

MAX_DAYS = 366
DEFAULT_DAYS = 30
BANNER_METHODS = (Method.ACCEPT_ALL, Method.REJECT_ALL, Method.CUSTOM, Method.DISMISS)
# Decisions a person made; expiry is the platform's doing and not counted in rates.
CHOICES = (Decision.GRANTED, Decision.DENIED, Decision.WITHDRAWN)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self):
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def bounds(self):
        tz = timezone.get_default_timezone()  # the days of the roll-up
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=tz)
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=tz) + timedelta(days=1)
        return start, end


def parse_period(start=None, end=None, *, today=None):
    """A period from ISO dates (either may be missing); the last 30 days by default."""
    today = today or timezone.now().date()
    errors = {}

    def _date(value, field):
        if not value:
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            errors[field] = ["Expected a date as YYYY-MM-DD."]
            return None

    end_date = _date(end, "end") or today
    start_date = _date(start, "start") or end_date - timedelta(days=DEFAULT_DAYS - 1)
    if not errors and start_date > end_date:
        errors["start"] = ["The start must not be after the end."]
    if not errors and (end_date - start_date).days + 1 > MAX_DAYS:
        errors["start"] = [f"At most {MAX_DAYS} days at once."]
    if errors:
        raise ConsentError("dashboard.invalid_period", "The period is not valid.", errors)
    return Period(start_date, end_date)


def _rate(granted, total):
    return round(100.0 * granted / total, 1) if total else None


def _events(site, period):
    start, end = period.bounds
    return ConsentEvent.objects.filter(site=site, recorded_at__gte=start, recorded_at__lt=end, vendor__isnull=True)


# The cubes straight from the ledger, without the roll-up: the reference the roll-up is checked against.


def daily_cube(site, period):
    """(day, purpose_id, decision, method, count) rows."""
    return list(
        _events(site, period)
        .annotate(day=TruncDate("recorded_at", tzinfo=timezone.get_default_timezone()))
        .values_list("day", "purpose_id", "decision", "method")
        .annotate(n=Count("*"))
        .order_by()
    )


def audience_cube(site, period):
    """(jurisdiction, language, decision, count) rows."""
    return list(
        _events(site, period).values_list("jurisdiction", "language", "decision").annotate(n=Count("*")).order_by()
    )


# Row kinds of the cube query: 0 daily, 1 audience, 2 the watermark the stats were read at.
_ROLLED_UP_SQL = """
SELECT 0, day, purpose_id, decision, method, NULL, NULL, events FROM consent_dailyconsentstat
WHERE site_id = %s AND day >= %s AND day <= %s
UNION ALL
SELECT 1, NULL, NULL, decision, NULL, jurisdiction, language, CAST(SUM(events) AS BIGINT)
FROM consent_dailyaudiencestat
WHERE site_id = %s AND day >= %s AND day <= %s GROUP BY jurisdiction, language, decision
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, last_event_id FROM consent_rollupwatermark WHERE site_id = %s
UNION ALL
"""
_LIVE_WHERE = "WHERE site_id = %s AND id > %s AND recorded_at >= %s AND recorded_at < %s AND vendor_id IS NULL"
# PostgreSQL: both cubes of the live events in one scan.
_LIVE_PG_SQL = """
SELECT GROUPING(method), {day}, purpose_id, decision, method, jurisdiction, language, COUNT(*)
FROM consent_consentevent {where}
GROUP BY GROUPING SETS (({day}, purpose_id, decision, method), (jurisdiction, language, decision))
"""
_LIVE_SQL = """
SELECT 0, {day}, purpose_id, decision, method, NULL, NULL, COUNT(*) FROM consent_consentevent {where}
GROUP BY 2, 3, 4, 5
UNION ALL
SELECT 1, NULL, NULL, decision, NULL, jurisdiction, language, COUNT(*) FROM consent_consentevent {where}
GROUP BY jurisdiction, language, decision
"""


def _watermark(site):
    return RollupWatermark.objects.filter(site=site).values_list("last_event_id", flat=True).first() or 0


def _cube_query(site, period, after):
    """One statement: the stats up to event `after` (unless None) plus the events above it, grouped live."""
    start, end = period.bounds
    day, day_params = rollup.day_sql()
    live_params = [site.pk, after or 0, start, end]
    if connection.vendor == "postgresql":
        sql = _LIVE_PG_SQL.format(day=day, where=_LIVE_WHERE)
        params = [*day_params, *live_params, *day_params]
    else:
        sql = _LIVE_SQL.format(day=day, where=_LIVE_WHERE)
        params = [*day_params, *live_params, *live_params]
    if after is not None:
        sql = _ROLLED_UP_SQL + sql
        window = [site.pk, period.start, period.end]
        params = [*window, *window, site.pk, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def cubes(site, period):
    """(daily rows, audience rows): the roll-up up to the site's watermark plus the newer events.

    The watermark is read first so that the planner sees the live range as the short id range it
    is; the statement reads the watermark again, and should a roll-up have moved it in between,
    the cubes are read once more. Exact either way, never counting an event twice.
    """
    for _ in range(3):
        after = _watermark(site)
        rows = _cube_query(site, period, after)
        if next((r[7] for r in rows if r[0] == 2), 0) == after:
            break
    else:
        rows = _cube_query(site, period, None)  # a roll-up every few milliseconds: count from the ledger
    daily, audience = [], []
    for kind, day, purpose_id, decision, method, jurisdiction, language, n in rows:
        if kind == 0:
            daily.append((date.fromisoformat(day) if isinstance(day, str) else day, purpose_id, decision, method, n))
        elif kind == 1:
            audience.append((jurisdiction, language, decision, n))
    return daily, audience


def campaigns(site, period=None):
    """Notice campaigns (one per published policy version) with counts by status."""
    rows = (
        Notification.objects.filter(site=site)
        .values("policy_version_id", "policy_version__version", "policy_version__published_at")
        .annotate(
            total=Count("id"),
            **{status: Count("id", filter=Q(status=status)) for status in NotificationStatus.values},
        )
        .order_by("-policy_version__version")
    )
    if period is not None:
        start, end = period.bounds
        rows = rows.filter(policy_version__published_at__lt=end)
    return [
        {
            "policy_version": r["policy_version__version"],
            "published_at": r["policy_version__published_at"],
            "total": r["total"],
            **{status: r[status] for status in NotificationStatus.values},
        }
        for r in rows
    ]


def build(site, period):
    """Everything the dashboard page and its CSV downloads show."""
    purposes = [p for p in Purpose.objects.filter(site=site).order_by("position", "id") if not p.always_allowed]
    keys = {p.id: p.key for p in purposes}
    days = period.days
    day_index = {d: i for i, d in enumerate(days)}

    granted = defaultdict(lambda: [0] * len(days))
    chosen = defaultdict(lambda: [0] * len(days))
    events = [0] * len(days)
    withdrawals = [0] * len(days)
    gpc = [0] * len(days)
    methods = defaultdict(int)
    daily_rows, audience_rows = cubes(site, period)
    for day, purpose_id, decision, method, n in daily_rows:
        i = day_index.get(day)
        if i is None:
            continue
        events[i] += n
        methods[method] += n
        if decision == Decision.WITHDRAWN:
            withdrawals[i] += n
        if method == Method.GPC:
            gpc[i] += n
        if purpose_id in keys and decision in CHOICES:
            chosen[purpose_id][i] += n
            if decision == Decision.GRANTED:
                granted[purpose_id][i] += n

    by_jurisdiction = defaultdict(lambda: [0, 0])
    by_language = defaultdict(lambda: [0, 0])
    for jurisdiction, language, decision, n in audience_rows:
        if decision not in CHOICES:
            continue
        for table, key in ((by_jurisdiction, jurisdiction or "unknown"), (by_language, language or "unknown")):
            table[key][0] += n
            if decision == Decision.GRANTED:
                table[key][1] += n

    total_events = sum(events)
    total_granted = sum(sum(v) for v in granted.values())
    total_chosen = sum(sum(v) for v in chosen.values())
    labels = dict(Method.choices)
    return {
        "period": period,
        "days": days,
        "purposes": [p.key for p in purposes],
        "purpose_names": {p.key: p.text("en", "name") for p in purposes},
        "counts": {keys[pid]: (granted[pid], chosen[pid]) for pid in keys},
        "rate": {keys[pid]: [_rate(granted[pid][i], chosen[pid][i]) for i in range(len(days))] for pid in keys},
        "rate_overall": {keys[pid]: _rate(sum(granted[pid]), sum(chosen[pid])) for pid in keys},
        "daily": [
            {"day": d, "events": events[i], "withdrawals": withdrawals[i], "gpc": gpc[i]} for i, d in enumerate(days)
        ],
        "methods": [
            {"method": m, "label": labels.get(m, m), "events": methods[m], "share": _rate(methods[m], total_events)}
            for m in sorted(methods, key=lambda m: (_banner_order(m), -methods[m], m))
        ],
        "totals": {
            "events": total_events,
            "consent_rate": _rate(total_granted, total_chosen),
            "withdrawals": sum(withdrawals),
            "gpc_events": sum(gpc),
            "gpc_share": _rate(sum(gpc), total_events),
        },
        "jurisdictions": _audience_rows(by_jurisdiction),
        "languages": _audience_rows(by_language),
        "campaigns": campaigns(site, period),
    }


# Fewer decisions than this per purpose and day on average: the rate chart shows weeks, not days.
MIN_DAILY_DECISIONS = 10


def _bounds(n, size):
    """[(start, end)) index ranges of `size` days counted back from the last day (the first may be shorter)."""
    if size == 1:
        return [(i, i + 1) for i in range(n)]
    starts = [0, *list(range(n - size, 0, -size))[::-1]]
    return list(zip(starts, [*starts[1:], n], strict=True))


def rate_buckets(data):
    """("day" or "week", first day of each bucket, {purpose key: [rate or None per bucket]}).

    A daily rate over three decisions swings from 0 to 100 % and leaves gaps on quiet days, so
    sparse periods are grouped into 7-day buckets counted back from the period's last day (the
    first one may be shorter); a bucket's rate is its granted share of all its choices.
    """
    days, counts = data["days"], data["counts"]
    decided = sum(sum(chosen) for _, chosen in counts.values())
    sparse = len(days) > 14 and counts and decided < MIN_DAILY_DECISIONS * len(days) * len(counts)
    bounds = _bounds(len(days), 7 if sparse else 1)
    rates = {
        key: [_rate(sum(granted[a:b]), sum(chosen[a:b])) for a, b in bounds]
        for key, (granted, chosen) in counts.items()
    }
    return ("week" if sparse else "day"), [days[a] for a, _ in bounds], rates


def activity_buckets(data):
    """("day" or "week", first day of each bucket, withdrawals, GPC signals): weekly sums when days are
    mostly empty, so a handful of events reads as a trend rather than lone spikes."""
    days, daily = data["days"], data["daily"]
    busy_days = sum(1 for r in daily if r["withdrawals"] or r["gpc"])
    sparse = len(days) > 14 and busy_days < len(days) / 2
    bounds = _bounds(len(days), 7 if sparse else 1)
    withdrawals = [sum(r["withdrawals"] for r in daily[a:b]) for a, b in bounds]
    gpc = [sum(r["gpc"] for r in daily[a:b]) for a, b in bounds]
    return ("week" if sparse else "day"), [days[a] for a, _ in bounds], withdrawals, gpc


def _banner_order(method):
    """The banner's own choices first, in a fixed order; then other channels by volume."""
    return BANNER_METHODS.index(method) if method in BANNER_METHODS else len(BANNER_METHODS)


def _audience_rows(table):
    rows = [{"key": k, "decisions": v[0], "granted": v[1], "rate": _rate(v[1], v[0])} for k, v in table.items()]
    return sorted(rows, key=lambda r: -r["decisions"])


# --- the numbers behind each chart, as CSV rows --------------------------------------------------


def chart_table(data, chart):
    """(header, rows) of one chart; None for an unknown chart name."""
    if chart == "consent-rate":
        header = ["day", *data["purposes"]]
        rows = [[d.isoformat(), *[data["rate"][k][i] for k in data["purposes"]]] for i, d in enumerate(data["days"])]
        return header, rows
    if chart == "methods":
        return ["method", "events", "share_percent"], [[m["method"], m["events"], m["share"]] for m in data["methods"]]
    if chart == "activity":
        return (
            ["day", "events", "withdrawals", "gpc_events"],
            [[r["day"].isoformat(), r["events"], r["withdrawals"], r["gpc"]] for r in data["daily"]],
        )
    if chart in ("jurisdictions", "languages"):
        return (
            [chart[:-1], "decisions", "granted", "consent_rate_percent"],
            [[r["key"], r["decisions"], r["granted"], r["rate"]] for r in data[chart]],
        )
    if chart == "campaigns":
        statuses = list(NotificationStatus.values)
        return (
            ["policy_version", "published_at", "total", *statuses],
            [
                [c["policy_version"], c["published_at"].isoformat() if c["published_at"] else "", c["total"]]
                + [c[s] for s in statuses]
                for c in data["campaigns"]
            ],
        )
    return None


CHARTS = ("consent-rate", "methods", "activity", "jurisdictions", "languages", "campaigns")
