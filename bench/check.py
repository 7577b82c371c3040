"""Time `POST /api/v1/consents/check` with 10,000 subjects on a million-event ledger (PostgreSQL).

    .venv/bin/python bench/check.py [--events 1000000] [--subjects 10000] [--runs 7] [--port 8701] [--keep|--reuse]

Creates (and at the end drops) a throwaway database, inserts the events as bench/dashboard.py
does (250,000 subjects x 4 purposes), then the subjects' aliases (half user ids, half visitor
ids, one in twenty with both) and their current states (one per subject and purpose, from the
events). It then times, for 10,000 references of which 70 % are known:

- `who_may` alone, through the portable ORM path (three queries, the code before) and the
  one-statement path (what PostgreSQL now runs);
- the whole request in the process (Django test client: middleware, authentication, JSON);
- the request through HTTP to gunicorn on 127.0.0.1 (one worker), as a back end would see it.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard import insert_events  # noqa: E402  (bench/ is not a package)

PURPOSES = ["analytics", "advertising", "marketing_email", "personalisation"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=10_000, help="References per check.")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/consent_bench_check")
    parser.add_argument("--keep", action="store_true", help="Do not drop the database at the end.")
    parser.add_argument("--reuse", action="store_true", help="Use the database a --keep run left.")
    args = parser.parse_args()

    import psycopg

    name = urlparse(args.db).path.lstrip("/")
    admin_url = args.db.rsplit("/", 1)[0] + "/postgres"
    if not args.reuse:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')

    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["THROTTLE_SERVER"] = "100000/min"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        if args.reuse:
            site, refs = reuse(connection, args.subjects)
        else:
            call_command("migrate", verbosity=0)
            from consent.ledger import install_guards

            install_guards(connection)
            site, refs = seed(connection, args.events, args.subjects)
        measure(site, refs, args)
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def seed(connection, events, wanted):
    from consent.models import LegalBasis, Purpose, Site

    site = Site.objects.create(key="bench", name="Bench", languages=["en"])
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT)
    purposes = [Purpose.objects.create(site=site, key=k, position=i + 1).pk for i, k in enumerate(PURPOSES)]
    started = time.perf_counter()
    with connection.cursor() as cur:
        insert_events(cur, site.pk, purposes, events // len(purposes), "120 days")
        # Every subject gets a user id or a visitor id; one in twenty has both.
        cur.execute(
            """
            INSERT INTO consent_subjectalias (site_id, subject_id, kind, value, created_at)
            SELECT site_id, id, CASE WHEN id %% 2 = 0 THEN 'user' ELSE 'visitor' END,
                   CASE WHEN id %% 2 = 0 THEN 'user-' ELSE 'visitor-' END || id, now()
            FROM consent_subject WHERE site_id = %(site)s
            UNION ALL
            SELECT site_id, id, 'visitor', 'web-' || id, now()
            FROM consent_subject WHERE site_id = %(site)s AND id %% 20 = 0
            """,
            {"site": site.pk},
        )
        # The current state of each subject and purpose is its (only) event.
        cur.execute(
            """
            INSERT INTO consent_consentstate (subject_id, purpose_id, vendor_id, state, version, policy_version,
                banner_version, method, updated_at, event_id)
            SELECT subject_id, purpose_id, NULL, decision, version, policy_version, banner_version, method,
                   recorded_at, id
            FROM consent_consentevent WHERE site_id = %(site)s
            """,
            {"site": site.pk},
        )
        for table in ("consentevent", "subjectalias", "consentstate", "subject"):
            cur.execute(f"VACUUM ANALYZE consent_{table}")
        cur.execute("SELECT count(*) FROM consent_consentevent")
        total = cur.fetchone()[0]
    print(f"seeded {total:,} events in {time.perf_counter() - started:.1f} s")
    return site, pick(connection, site, wanted)


def reuse(connection, wanted):
    from consent.models import ConsentEvent, Site

    site = Site.objects.get(key="bench")
    print(f"reusing {ConsentEvent.objects.count():,} events")
    return site, pick(connection, site, wanted)


def pick(connection, site, wanted):
    """`wanted` references, 70 % of them known aliases, in random order."""
    with connection.cursor() as cur:
        cur.execute("SELECT value FROM consent_subjectalias WHERE site_id = %s ORDER BY id", [site.pk])
        aliases = [value for (value,) in cur.fetchall()]
    rng = random.Random(7)
    known = rng.sample(aliases, int(wanted * 0.7))
    refs = known + [f"nobody-{n}" for n in range(wanted - len(known))]
    rng.shuffle(refs)
    return refs


def timed(fn, runs):
    fn()  # warm caches and connections
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        timings.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(timings), min(timings), max(timings)


def measure(site, refs, args):
    from rest_framework.test import APIClient

    from consent import selectors
    from consent.models import Purpose
    from consent.tokens import make_api_key

    purpose = Purpose.objects.get(site=site, key="marketing_email")
    one_statement = selectors._known_states_one_statement
    rows = []

    def who_may():
        return selectors.who_may(site, purpose, refs)

    selectors._known_states_one_statement = selectors._known_states  # the code before
    try:
        before, *times = timed(who_may, args.runs)
    finally:
        selectors._known_states_one_statement = one_statement
    rows.append(("who_may, portable path (before: 3 queries, IN lists)", *times))
    after, *times = timed(who_may, args.runs)
    rows.append(("who_may, one statement (= ANY array, join)", *times))
    assert before == after, "the two paths disagree"
    print(f"{len(refs):,} references: {len(after[0]):,} allowed, {len(after[1]):,} denied")

    _, key = make_api_key(site)
    payload = {"purpose": purpose.key, "subjects": refs}
    client = APIClient()

    def in_process():
        response = client.post("/api/v1/consents/check", payload, format="json", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 200, response.content[:200]
        return response

    _, *times = timed(in_process, args.runs)
    rows.append(("whole request in the process (test client)", *times))
    rows.append(("whole request through HTTP (gunicorn, 1 worker)", *over_http(args, key, payload)))
    explain(site, purpose, refs)
    print(f"{'what':<56} {'median ms':>10} {'min':>8} {'max':>8}")
    for label, median, low, high in rows:
        print(f"{label:<56} {median:>10.1f} {low:>8.1f} {high:>8.1f}")


def explain(site, purpose, refs):
    """The plan of the one statement, with the server's own execution time (no client, no Python)."""
    from django.db import connection

    from consent import selectors

    params = {"site": site.pk, "user": "user", "visitor": "visitor", "refs": refs, "purpose": purpose.pk}
    with connection.cursor() as cursor:
        for _ in range(3):  # the last of three, caches warm
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + selectors._KNOWN_STATES_SQL, {**params, "vendor": None})
            plan = [line for (line,) in cursor.fetchall()]
    print("plan of the one statement (reference list elided):")
    for line in plan:
        print("   ", line if len(line) < 160 else line[:150] + " ...")


def over_http(args, key, payload):
    env = dict(os.environ, DEBUG="0", LOG_LEVEL="WARNING")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{args.port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", "2", "--log-level", "warning", "--worker-tmp-dir", "/dev/shm"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{args.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        body = json.dumps(payload).encode()

        def post():
            request = urllib.request.Request(
                base + "/api/v1/consents/check",
                data=body,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
                return response.read()

        _, *times = timed(post, args.runs)
        return times
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
