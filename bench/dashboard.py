"""Time the console dashboard on a million consent events in a throwaway PostgreSQL database.

    .venv/bin/python bench/dashboard.py [--events 1000000] [--live 2000] [--db postgres://postgres@127.0.0.1:5432/consent_bench_dashboard]
        [--keep | --reuse] [--first-runs N] [--compare] [--load-decisions [--load-port 8102] [--load-db NAME]]

Creates (and at the end drops) the database, migrates it, installs the ledger triggers, inserts
the events with one INSERT ... SELECT (the triggers refuse only UPDATE and DELETE), times the
first `features.rollup.roll_up`, adds 2,000 more events that stay above the watermark (counted
live), then times `console.dashboard.build` for 30-, 90- and 365-day periods and the
incremental roll-up of those 2,000.

The first roll-up can be timed again (`--first-runs N`: the stats and the watermark are emptied
before each), with `--compare` alternately the one-scan statement (PostgreSQL's path) and the
three statements of before (LEDGER_FAST_PATHS off). `--load-decisions` then repeats those runs
while bench/decisions.sh (on its own database and port) records banner decisions, and prints its
figures. Every roll-up figure comes with the CPU of this process and of its PostgreSQL backend.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAYS = 120  # events are spread over this many days, ending today


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/consent_bench_dashboard")
    parser.add_argument("--keep", action="store_true", help="Do not drop the database at the end.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--live", type=int, default=2_000, help="Events added after the roll-up.")
    parser.add_argument("--reuse", action="store_true", help="Use the database a --keep run left (no seeding).")
    parser.add_argument("--first-runs", type=int, default=1, help="Times to time the first roll-up.")
    parser.add_argument(
        "--compare", action="store_true", help="Alternate the one-scan roll-up and the three statements."
    )
    parser.add_argument(
        "--load-decisions", action="store_true", help="Time the first roll-ups under bench/decisions.sh too."
    )
    parser.add_argument("--load-port", type=int, default=8102, help="gunicorn port of the decisions load.")
    parser.add_argument("--load-db", default="consent_bench_load", help="Database of the decisions load (dropped).")
    args = parser.parse_args()

    import psycopg

    url = urlparse(args.db)
    name = url.path.lstrip("/")
    admin_url = args.db.rsplit("/", 1)[0] + "/postgres"
    if not args.reuse:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')

    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        if args.reuse:
            call_command("migrate", verbosity=0)
            first_roll_ups(connection, args)
        else:
            started = time.perf_counter()
            call_command("migrate", verbosity=0)
            print(f"migrated in {time.perf_counter() - started:.1f} s")
            from consent.ledger import install_guards

            install_guards(connection)
            site, purposes = seed(connection, args.events)
            roll_up(connection)
            if args.first_runs > 1 or args.compare or args.load_decisions:
                first_roll_ups(connection, args)
            # Events since the last roll-up (a few minutes' worth), counted live by the dashboard.
            with connection.cursor() as cur:
                insert_events(cur, site.pk, purposes, args.live // len(purposes), "5 minutes")
            print(f"added {args.live:,} events after the roll-up (counted live)")
            report(site, connection, args.runs)
            roll_up(connection)  # the incremental run that would follow
    finally:
        connection.close()
        if not args.keep and not args.reuse:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def backend_cpu(connection):
    """A function giving the CPU seconds of this connection's PostgreSQL backend (same machine)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]

    def cpu():
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9

    return cpu


def first_roll_up(connection, one_scan, db_cpu):
    """Empty the stats and the watermark, then roll everything up: (wall s, app CPU s, db CPU s, events)."""
    from django.test.utils import override_settings

    from features.rollup import roll_up

    with connection.cursor() as cur:
        cur.execute("TRUNCATE consent_dailyconsentstat, consent_dailyaudiencestat")
        cur.execute("DELETE FROM consent_rollupwatermark")
    with override_settings(LEDGER_FAST_PATHS=one_scan):
        app, db, started = time.process_time(), db_cpu(), time.perf_counter()
        added = roll_up()
        wall = time.perf_counter() - started
    return wall, time.process_time() - app, db_cpu() - db, sum(added.values())


def first_roll_ups(connection, args):
    """The first roll-up timed --first-runs times (each way with --compare), then so under load."""
    db_cpu = backend_cpu(connection)
    ways = [True, False] if args.compare else [True]
    conditions = ["no added load"] + (["under decisions load"] if args.load_decisions else [])
    rows = []
    for condition in conditions:
        load = None
        if condition != "no added load":
            load = start_decisions_load(args)
        samples = {way: [] for way in ways}
        loads = [os.getloadavg()[0]]
        for _ in range(args.first_runs):
            for way in ways:
                samples[way].append(first_roll_up(connection, way, db_cpu))
                loads.append(os.getloadavg()[0])
        for way in ways:
            walls, apps, dbs, added = zip(*samples[way], strict=True)
            label = "one scan" if way else "three statements (before)"
            rows.append((condition, label, added[0], walls, apps, dbs, min(loads), max(loads)))
        if load is not None:
            finish_decisions_load(load)
    print(
        f"{'first roll-up':<50} {'events':>9} {'median s':>9} {'min':>6} {'max':>6} {'app CPU':>8} {'db CPU':>7}  load"
    )
    for condition, label, added, walls, apps, dbs, low, high in rows:
        print(
            f"{condition + ', ' + label:<50} {added:>9,} {statistics.median(walls):>9.2f} {min(walls):>6.2f} "
            f"{max(walls):>6.2f} {statistics.median(apps):>8.2f} {statistics.median(dbs):>7.2f}  {low:.1f}-{high:.1f}"
        )


def start_decisions_load(args):
    """bench/decisions.sh in the background, returned once its measured run (wrk) has started."""
    seconds = max(60, 20 * args.first_runs * (2 if args.compare else 1))
    env = dict(os.environ, PORT=str(args.load_port), BENCH_DB=args.load_db, DURATION=f"{seconds}s",
               PYTHON=sys.executable)  # fmt: skip
    env.pop("DATABASE_URL")
    process = subprocess.Popen(
        ["bash", str(ROOT / "bench" / "decisions.sh")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in process.stdout:
        if line.startswith("== run"):
            print(f"decisions load running ({seconds} s): {line.strip()}")
            time.sleep(5)  # let it reach its pace
            return process
    process.wait()
    raise SystemExit("bench/decisions.sh ended before its run started")


def finish_decisions_load(process):
    """Wait for bench/decisions.sh to end (it drops its database) and print its figures."""
    for line in process.stdout:
        if line.startswith(("decisions/s", "CPU per decision", "FAILED")):
            print("    decisions load:", line.strip())
    process.wait()


def seed(connection, events):
    from consent.models import LegalBasis, Purpose, Site

    site = Site.objects.create(key="bench", name="Bench", languages=["en", "fr", "de"])
    Site.objects.create(key="other", name="Other site")  # the queries must separate sites
    keys = ["analytics", "advertising", "marketing_email", "personalisation"]
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT)
    purposes = [Purpose.objects.create(site=site, key=k, position=i + 1).pk for i, k in enumerate(keys)]
    started = time.perf_counter()
    with connection.cursor() as cur:
        insert_events(cur, site.pk, purposes, events // len(purposes), f"{DAYS} days")
        # What autovacuum does to an insert-only table: statistics and the visibility map.
        cur.execute("VACUUM ANALYZE consent_consentevent")
        cur.execute("SELECT count(*) FROM consent_consentevent")
        total = cur.fetchone()[0]
    print(f"seeded {total:,} events in {time.perf_counter() - started:.1f} s")
    return site, purposes


def insert_events(cur, site_id, purposes, subjects, spread):
    """New subjects, one banner interaction each (one event per purpose), over the last `spread`."""
    cur.execute(
        """
        INSERT INTO consent_subject (site_id, email, created_at, last_seq, last_hash)
        SELECT %s, '', now(), %s, '' FROM generate_series(1, %s) RETURNING id
        """,
        [site_id, len(purposes), subjects],
    )
    subject_ids = [row[0] for row in cur.fetchall()]
    # The method decides the answers.
    cur.execute(
        """
        WITH s AS (
            SELECT subject_id,
                   now() - random() * %(spread)s::interval AS at,
                   (ARRAY['accept_all','accept_all','reject_all','custom','custom','dismiss','gpc',
                          'preference_centre'])[1 + floor(random() * 8)::int] AS method,
                   (ARRAY['FR','DE','ES','IT','US-CA','GB','NL','BE'])[1 + floor(random() * 8)::int] AS j,
                   (ARRAY['en','fr','de'])[1 + floor(random() * 3)::int] AS lang
            FROM unnest(%(subjects)s::bigint[]) AS subject_id
        )
        INSERT INTO consent_consentevent (site_id, subject_id, seq, purpose_id, decision, version, method,
            jurisdiction, language, recorded_at, ip, user_agent, evidence, prev_hash, hash)
        SELECT %(site)s, s.subject_id, p.ord, p.id,
               CASE WHEN s.method = 'accept_all' THEN 'granted'
                    WHEN s.method IN ('reject_all', 'gpc', 'dismiss') THEN 'denied'
                    WHEN s.method = 'preference_centre' THEN 'withdrawn'
                    WHEN random() < 0.55 THEN 'granted' ELSE 'denied' END,
               1, s.method, s.j, s.lang, s.at, '', '', '{}', '',
               md5(s.subject_id::text || ':' || p.ord) || md5(p.ord || ':' || s.subject_id::text)
        FROM s CROSS JOIN unnest(%(purposes)s::bigint[]) WITH ORDINALITY AS p(id, ord)
        """,
        {"spread": spread, "subjects": subject_ids, "site": site_id, "purposes": purposes},
    )


def roll_up(connection):
    from features.rollup import roll_up

    started = time.perf_counter()
    added = roll_up()
    elapsed = time.perf_counter() - started
    print(f"roll_up: {sum(added.values()):,} events added in {elapsed * 1000:,.0f} ms")
    with connection.cursor() as cur:
        for table in ("consent_dailyconsentstat", "consent_dailyaudiencestat"):
            cur.execute(f"VACUUM ANALYZE {table}")
            cur.execute(f"SELECT count(*) FROM {table}")
            print(f"    {table}: {cur.fetchone()[0]:,} rows")


def report(site, connection, runs):
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from console import dashboard

    today = timezone.now().date()
    print(f"{'period':>8} {'events in period':>17} {'median ms':>10} {'max ms':>8}")
    for days in (30, 90, 365):
        period = dashboard.parse_period((today - timezone.timedelta(days=days - 1)).isoformat(), today.isoformat())
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            data = dashboard.build(site, period)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{days:>6} d {data['totals']['events']:>17,} {statistics.median(timings):>10.1f} {max(timings):>8.1f}")
    with CaptureQueriesContext(connection) as captured:
        dashboard.build(site, period)
    [cube_sql] = [q["sql"] for q in captured.captured_queries if "consent_dailyconsentstat" in q["sql"]]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + cube_sql)
        print("plan of the cube statement (365 days):")
        for (line,) in cur.fetchall():
            print("   ", line)


if __name__ == "__main__":
    main()
