"""Time `POST /api/v1/consents/check` with 10,000 subjects on a million-event ledger (PostgreSQL).

    .venv/bin/python bench/check.py [--events 1000000] [--subjects 10000] [--runs 7] [--port 8701] [--keep|--reuse]
        [--db postgres://postgres@127.0.0.1:5432/consent_bench_check] [--ab]

Creates (and at the end drops) a throwaway database, inserts the events as bench/dashboard.py
does (250,000 subjects x 4 purposes), then the subjects' aliases (half user ids, half visitor
ids, one in twenty with both) and their current states (one per subject and purpose, from the
events). It then times, for 10,000 references of which 70 % are known:

- `who_may` alone, through the portable ORM path (three queries, the code before) and the
  one-statement path (what PostgreSQL now runs);
- the whole request in the process (Django test client: middleware, authentication, JSON);
- the request through HTTP to gunicorn on 127.0.0.1 (one worker), as a back end would see it.

Every figure comes with CPU: this process's (the gunicorn worker's through HTTP) and the
PostgreSQL backends' (from /proc, so PostgreSQL must run on this machine). `--ab` also runs,
alternately with the statement of now, the statement from before migration 0016 on the index it
probed (built in a transaction that is rolled back), and the statement of now made to read every
subject's jurisdiction (the worst case, where the regime matters for every state).
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
from datetime import UTC, datetime, timedelta
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
    parser.add_argument(
        "--ab", action="store_true", help="Also time the statement of before migration 0016, alternately with now."
    )
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
            call_command("migrate", verbosity=0)
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


# The one statement before the regime-aware reading and migration 0016: the jurisdiction read
# for every known subject, the aliases probed on the (site, kind, value) index (one descent per
# kind, then a sort). Kept to compare both in the same conditions (--ab).
BEFORE_SQL = """
SELECT r.value, s.state, s.updated_at, s.policy_version, vs.state, coalesce(j.jurisdiction, '')
FROM unnest(%(refs)s::varchar[]) AS r(value)
CROSS JOIN LATERAL (
    SELECT subject_id FROM consent_subjectalias
    WHERE site_id = %(site)s AND kind IN (%(user)s, %(visitor)s) AND value = r.value
    ORDER BY kind = %(user)s DESC LIMIT 1
) AS a
LEFT JOIN LATERAL (
    SELECT state, updated_at, policy_version FROM consent_consentstate
    WHERE subject_id = a.subject_id AND purpose_id = %(purpose)s AND vendor_id IS NULL LIMIT 1
) AS s ON true
LEFT JOIN LATERAL (
    SELECT state FROM consent_consentstate
    WHERE subject_id = a.subject_id AND purpose_id = %(purpose)s AND vendor_id = %(vendor)s LIMIT 1
) AS vs ON true
LEFT JOIN LATERAL (
    SELECT e.jurisdiction FROM consent_subject AS subj
    JOIN consent_consentevent AS e ON e.subject_id = subj.id AND e.seq = subj.last_seq
    WHERE subj.id = a.subject_id LIMIT 1
) AS j ON true
"""
# The index it probed, swapped in inside a transaction that is rolled back.
BEFORE_INDEX = """
ALTER TABLE consent_subjectalias DROP CONSTRAINT alias_unique_per_site;
CREATE UNIQUE INDEX alias_before_0016 ON consent_subjectalias (site_id, kind, value);
"""

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    """CPU seconds (user + system) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def backends_cpu(pids):
    """CPU seconds of PostgreSQL backends: run time in ns from /proc/<pid>/schedstat (same machine)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0]) / 1e9
        except FileNotFoundError:
            pass
    return total


class Meter:
    """Wall clock, the client process's CPU and the PostgreSQL backends' CPU of each call."""

    def __init__(self, app_cpu, db_pids):
        self.app_cpu, self.db_pids = app_cpu, db_pids
        self.samples = []

    def __call__(self, fn):
        pids = self.db_pids()
        app, db, started = self.app_cpu(), backends_cpu(pids), time.perf_counter()
        result = fn()
        wall = time.perf_counter() - started
        self.samples.append((wall * 1000, (self.app_cpu() - app) * 1000, (backends_cpu(pids) - db) * 1000))
        return result

    def row(self, label):
        wall, app, db = (statistics.median(column) for column in zip(*self.samples, strict=True))
        return (label, wall, min(s[0] for s in self.samples), app, db, len(self.samples))


def own_backend():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return lambda: [pid]


def timed(fn, runs, meter):
    fn()  # warm caches and connections
    result = None
    for _ in range(runs):
        result = meter(fn)
    return result


def measure(site, refs, args):
    from django.db import connection, transaction
    from rest_framework.test import APIClient

    from consent import selectors
    from consent.models import Purpose
    from consent.rules import RegimeDependence, regime_dependence
    from consent.tokens import make_api_key

    purpose = Purpose.objects.get(site=site, key="marketing_email")
    one_statement = selectors._known_states_one_statement
    backend = own_backend()
    cpu = time.process_time
    rows = []
    load = [os.getloadavg()[0]]

    def who_may():
        return selectors.who_may(site, purpose, refs)

    def before_statement(site, purpose, refs, vendor, dependence):
        params = {**selectors._known_states_params(site, purpose, refs, vendor, dependence), "refs": refs}
        known = {}
        with connection.cursor() as cursor:
            cursor.execute(BEFORE_SQL, params)
            for value, state, updated_at, policy_version, vendor_state, jurisdiction in cursor.fetchall():
                state = selectors._State(state, updated_at, policy_version) if state is not None else None
                known[value] = (
                    state,
                    selectors._State(vendor_state, None, None) if vendor_state else None,
                    jurisdiction,
                )
        return known

    def every_jurisdiction(site, purpose, refs, vendor, dependence):
        forced = RegimeDependence(True, True, True, datetime.now(UTC) + timedelta(days=36500), 0)
        return one_statement(site, purpose, refs, vendor, forced)

    def patched(replacement, fn):
        def run():
            selectors._known_states_one_statement = replacement
            try:
                return fn()
            finally:
                selectors._known_states_one_statement = one_statement

        return run

    portable = Meter(cpu, backend)
    selectors_portable = patched(
        lambda site, purpose, refs, vendor, _: selectors._known_states(site, purpose, refs, vendor), who_may
    )
    before = timed(selectors_portable, args.runs, portable)
    after = timed(who_may, args.runs, Meter(cpu, backend))
    assert before == after, "the portable path and the one statement disagree"
    print(f"{len(refs):,} references: {len(after[0]):,} allowed, {len(after[1]):,} denied")
    rows.append(portable.row("who_may, portable path (3 queries, IN lists)"))

    # The statement alone (execute and fetch), and who_may around it, now and before, alternately.
    dependence = regime_dependence(purpose, site=site, now=datetime.now(UTC))
    params = selectors._known_states_params(site, purpose, refs, None, dependence)
    before_params = {**params, "refs": refs}  # an array of strings then

    def statement(sql):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, before_params if sql is BEFORE_SQL else params)
                return cursor.fetchall()

        return run

    meters = {name: Meter(cpu, backend) for name in ("sb", "sa", "se", "wb", "wa", "we")}
    every = patched(every_jurisdiction, who_may)
    for _ in range(args.runs if args.ab else 0):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(BEFORE_INDEX)
            statement(BEFORE_SQL)()  # warm
            meters["sb"](statement(BEFORE_SQL))
            assert meters["wb"](patched(before_statement, who_may)) == after, "before and now disagree"
            transaction.set_rollback(True)
        statement(selectors._KNOWN_STATES_SQL)()
        meters["sa"](statement(selectors._KNOWN_STATES_SQL))
        meters["wa"](who_may)
        assert meters["we"](every) == after, "reading every jurisdiction changes the answers"
        meters["se"](lambda: every_jurisdiction(site, purpose, refs, None, dependence))
        load.append(os.getloadavg()[0])
    if args.ab:
        rows.append(meters["wb"].row("who_may, one statement before (every jurisdiction, old alias index)"))
        rows.append(meters["wa"].row("who_may, one statement now"))
        rows.append(meters["we"].row("who_may now, every jurisdiction read (worst case)"))
        rows.append(meters["sb"].row("  the statement alone, before (execute + fetch)"))
        rows.append(meters["sa"].row("  the statement alone, now"))
        rows.append(meters["se"].row("  the statement alone, now, every jurisdiction read"))
    else:
        meter = Meter(cpu, backend)
        timed(who_may, args.runs, meter)
        rows.append(meter.row("who_may, one statement now"))

    _, key = make_api_key(site)
    payload = {"purpose": purpose.key, "subjects": refs}
    client = APIClient()

    def in_process():
        response = client.post("/api/v1/consents/check", payload, format="json", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 200, response.content[:200]
        return response

    meter = Meter(cpu, backend)
    timed(in_process, args.runs, meter)
    rows.append(meter.row("whole request in the process (test client)"))
    load.append(os.getloadavg()[0])
    rows.append(over_http(args, key, payload))
    load.append(os.getloadavg()[0])
    explain(site, purpose, refs, params)
    print(f"load average (1 min) during the runs: {min(load):.1f}-{max(load):.1f}")
    print(f"{'what':<70} {'median ms':>9} {'min':>7} {'app CPU':>8} {'db CPU':>7} {'runs':>5}")
    for label, median, low, app, db, runs in rows:
        print(f"{label:<70} {median:>9.1f} {low:>7.1f} {app:>8.1f} {db:>7.1f} {runs:>5}")
    print("app CPU: this process (the gunicorn worker through HTTP), ms per call; db CPU: PostgreSQL backends")


def explain(site, purpose, refs, params):
    """The plan of the one statement, with the server's own execution time (no client, no Python)."""
    from django.db import connection

    from consent import selectors

    with connection.cursor() as cursor:
        for _ in range(3):  # the last of three, caches warm
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + selectors._KNOWN_STATES_SQL, params)
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

        post()  # the worker connects
        with open(f"/proc/{server.pid}/task/{server.pid}/children") as f:
            [worker] = [int(pid) for pid in f.read().split()]
        mine = own_backend()()

        def worker_backends():
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> ALL(%s)", [mine]
                )
                return [pid for (pid,) in cursor.fetchall()]

        meter = Meter(lambda: process_cpu(worker), worker_backends)
        timed(post, args.runs, meter)
        return meter.row("whole request through HTTP (gunicorn, 1 worker)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
