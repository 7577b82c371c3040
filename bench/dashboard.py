"""Time the console dashboard on a million consent events in a throwaway PostgreSQL database.

    .venv/bin/python bench/dashboard.py [--events 1000000] [--live 2000] [--db postgres://postgres@127.0.0.1:5432/consent_bench_dashboard]

Creates (and at the end drops) the database, migrates it, installs the ledger triggers, inserts
the events with one INSERT ... SELECT (the triggers refuse only UPDATE and DELETE), times the
first `features.rollup.roll_up`, adds 2,000 more events that stay above the watermark (counted
live), then times `console.dashboard.build` for 30-, 90- and 365-day periods and the
incremental roll-up of those 2,000.
"""

import argparse
import os
import statistics
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
    args = parser.parse_args()

    import psycopg

    url = urlparse(args.db)
    name = url.path.lstrip("/")
    admin_url = args.db.rsplit("/", 1)[0] + "/postgres"
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
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        from consent.ledger import install_guards

        install_guards(connection)
        site, purposes = seed(connection, args.events)
        roll_up(connection)
        # Events since the last roll-up (a few minutes' worth), counted live by the dashboard.
        with connection.cursor() as cur:
            insert_events(cur, site.pk, purposes, args.live // len(purposes), "5 minutes")
        print(f"added {args.live:,} events after the roll-up (counted live)")
        report(site, connection, args.runs)
        roll_up(connection)  # the incremental run that would follow
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


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
