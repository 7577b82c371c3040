"""CPU per banner decision in the process: the view path without gunicorn or wrk.

    .venv/bin/python bench/decision_cpu.py                 # 2,000 decisions per workload, 3 rounds
    .venv/bin/python bench/decision_cpu.py --profile first # cProfile (CPU time) of one workload, top 30 by own time
    # with BENCH_PROFILE_DUMP=/tmp/first.prof (stats kept for pstats) and BENCH_PROFILE_CALLERS=dumps
    # (who calls a function) in the environment, --profile also does those
    .venv/bin/python bench/decision_cpu.py --root /tmp/old  # the code of another checkout, same script
    # --decisions N, --rounds N, --db URL, --keep, --workloads first,returning,unseen

To compare two versions on a busy machine, alternate them: `bench/decision_cpu_ab.sh REV`
runs this script against a `git archive` of REV and against the working tree, in turns.

Creates a throwaway PostgreSQL database, migrates it and loads the site `bench/decisions.sh`
loads (4 optional purposes, published banner and policy). Then it posts the benchmark's body
to `/api/v1/sites/bench/decisions` through Django's test client (the whole middleware stack,
DRF, the ledger, the signed receipt), one request after another, and reads the CPU the
process spent (`time.process_time`) and the CPU the PostgreSQL backend serving it spent
(`/proc/<pid>/stat` of `pg_backend_pid()`), each divided by the decisions. Workloads:

- `first`: a new visitor on every decision (the banner on a first visit);
- `returning`: visitors from a pool of 500 this process has already seen;
- `unseen`: visitors from a pool of 2,000 known to the database but not to the process (its
  in-memory hint of known visitors is cleared first): what a worker sees after a restart.

The client, the WSGI frame of the test client and the JSON body building are on the app's side
of the figure, so it is a little above what a gunicorn worker spends in Django; use it to
compare versions of the code on the same machine, and `bench/peer/run.py` for the whole stack.
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if "--root" in sys.argv:  # the code to measure: another checkout (the script stays this one)
    ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
    os.chdir(ROOT)
sys.path.insert(0, str(ROOT))

TCK = os.sysconf("SC_CLK_TCK")
PURPOSES = ["analytics", "advertising", "marketing_email", "personalisation"]


def backend_cpu(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def body(visitor, flip=False):
    states = ["granted", "denied"] if not flip else ["denied", "granted"]
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "visitor_id": visitor,
            "decisions": {key: states[n % 2] for n, key in enumerate(PURPOSES)},
            "method": "custom",
            "banner_version": 1,
            "policy_version": 1,
            "language": "en",
        }
    )


def setup_site():
    from django.utils import timezone

    from consent.models import LegalBasis, PolicyVersion, Purpose, Site
    from cookies.services import TEXT_KEYS, publish_banner

    site = Site.objects.create(key="bench", name="Bench", languages=["en"], allowed_origins=["https://bench.test"])
    Purpose.objects.create(site=site, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT, position=0)
    for n, key in enumerate(PURPOSES, start=1):
        Purpose.objects.create(site=site, key=key, position=n)
    publish_banner(site, {"en": {key: key.replace("_", " ").capitalize() for key in TEXT_KEYS}})
    now = timezone.now()
    PolicyVersion.objects.create(site=site, version=1, text="Privacy policy", published_at=now, effective_at=now)


def run(client, visitors, expect=201):
    """Post one decision per visitor; (app CPU s, db CPU s) spent."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    db0, app0 = backend_cpu(pid), time.process_time()
    flip = False
    for visitor in visitors:
        flip = not flip
        response = client.post("/api/v1/sites/bench/decisions", body(visitor, flip), content_type="application/json")
        if response.status_code != expect:
            raise SystemExit(f"unexpected {response.status_code}: {response.content[:300]!r}")
    return time.process_time() - app0, backend_cpu(pid) - db0


def workload(name, n, round_):
    from consent.services import first_decision

    if name == "first":
        return [f"new-{round_}-{i}-{uuid.uuid4().hex[:8]}" for i in range(n)]
    if name == "returning":
        return [f"seen-{i % 500}" for i in range(n)]
    first_decision.known_aliases.clear()
    return [f"unseen-{(round_ * n + i) % 2000}" for i in range(n)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workloads", default="first,returning,unseen")
    parser.add_argument("--profile", help="cProfile this workload once instead of timing")
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/consent_bench_cpu")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--root", help="measure the code of this checkout")
    args = parser.parse_args()

    import psycopg

    name = urlparse(args.db).path.lstrip("/")
    admin_url = args.db.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["THROTTLE_PUBLIC"] = "100000000/min"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    try:
        call_command("migrate", verbosity=0)
        setup_site()
        client = Client(REMOTE_ADDR="203.0.113.7")
        # Warm up and create the pools: 500 visitors this process knows, 2,000 it will not.
        run(client, [f"seen-{i}" for i in range(500)])
        run(client, [f"unseen-{i}" for i in range(2000)])
        if args.profile:
            import cProfile
            import pstats

            visitors = workload(args.profile, args.decisions, 0)
            profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for PostgreSQL
            profiler.enable()
            run(client, visitors)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(40)
            if os.environ.get("BENCH_PROFILE_CALLERS"):
                stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])
            if os.environ.get("BENCH_PROFILE_DUMP"):
                stats.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
            return
        results = {w: [] for w in args.workloads.split(",")}
        for round_ in range(args.rounds):
            for name_ in results:
                visitors = workload(name_, args.decisions, round_)
                app, db = run(client, visitors)
                results[name_].append((app * 1000 / len(visitors), db * 1000 / len(visitors)))
        print(f"load average {os.getloadavg()[0]:.1f}; {args.decisions} decisions x {args.rounds} rounds")
        print(f"{'workload':<10} {'app ms (median, min)':>22} {'db ms (median, min)':>22}")
        for name_, figures in results.items():
            app = [a for a, _ in figures]
            db = [d for _, d in figures]
            print(
                f"{name_:<10} {statistics.median(app):>12.3f} {min(app):>8.3f} "
                f"{statistics.median(db):>13.3f} {min(db):>8.3f}"
            )
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
