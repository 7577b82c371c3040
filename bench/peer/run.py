"""Decisions side by side with django-cookie-consent's accept, with CPU accounting per decision.

Creates throwaway PostgreSQL databases, one for this project (the site bench/decisions.sh
loads: 4 optional purposes, banner and policy version 1) and one for a minimal Django project
around django-cookie-consent (bench/peer/, installed into bench/.peer-venv from
bench/peer/requirements.txt: 4 cookie groups with one cookie each). For each worker count it
starts both under gunicorn with the same settings, warms both up, then alternates wrk runs of the
same duration and connections: our first decisions (bench/decisions.lua), the peer's accept of
the 4 groups (bench/peer/accept.lua, one LogItem row per group) and our returning visitors
(BENCH_VISITORS, a pool primed beforehand so every decision is a known subject's next one).

For every run it reads from /proc the CPU (user + system) of the gunicorn processes, of the
PostgreSQL backends serving that database, of wrk, and of the whole machine, and divides by the
requests answered; it also samples what the backends wait on (pg_stat_activity). At the end it
verifies our ledger and counts the peer's rows, and prints the table bench/README.md quotes.

    .venv/bin/python bench/peer/run.py                      # workers 1,2,4; 15 s runs; 2 rounds
    .venv/bin/python bench/peer/run.py --workers 4 --rounds 1 --profile 20

`--variant NAME=MODULE` runs ours a second time under another settings module from bench/peer/
(own database and port), alternated with the rest: `--variant ssb=server_side_binding`.
Returning visitors are measured twice: from the pool, and from a second pool of visitors the
workers have not seen (gunicorn reloads its workers before each such run).
`--profile S` adds, for the largest worker count, S seconds of py-spy sampling of every gunicorn
worker under each workload and prints the costliest functions (own and cumulative time).
Any answer other than 201 (ours) or 200 (the peer's) fails the run.
"""

import argparse
import collections
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
from accounting import TCK, BackendSampler, cpu_ticks, machine_ticks
from servers import Server
from stacks import summarise_stacks

ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = ROOT / "bench" / "peer"
PEER_VENV = ROOT / "bench" / ".peer-venv"
OUR_PYTHON = Path(os.environ.get("PYTHON", ROOT / ".venv" / "bin" / "python"))
PURPOSES = ["analytics", "advertising", "marketing_email", "personalisation"]

# The same site bench/decisions.sh loads.
OUR_SEED = (
    f"PURPOSES = {PURPOSES!r}\n"
    + """
from django.utils import timezone
from consent.models import LegalBasis, PolicyVersion, Purpose, Site
from cookies.services import TEXT_KEYS, publish_banner
site = Site.objects.create(key='bench', name='Bench', languages=['en'],
                           allowed_origins=['https://bench.test'])
Purpose.objects.create(site=site, key='essential', essential=True,
                       legal_basis=LegalBasis.CONTRACT, position=0)
for n, key in enumerate(PURPOSES, start=1):
    Purpose.objects.create(site=site, key=key, position=n)
publish_banner(site, {'en': {key: key.replace('_', ' ').capitalize() for key in TEXT_KEYS}})
now = timezone.now()
PolicyVersion.objects.create(site=site, version=1, text='Privacy policy', published_at=now,
                             effective_at=now)
"""
)

PEER_SEED = (
    f"PURPOSES = {PURPOSES!r}\n"
    + """
from cookie_consent.models import Cookie, CookieGroup
CookieGroup.objects.create(varname='essential', name='Essential', is_required=True)
for n, key in enumerate(PURPOSES, start=1):
    group = CookieGroup.objects.create(varname=key, name=key.title(), ordering=n)
    Cookie.objects.create(cookiegroup=group, name='_' + key, domain='bench.test')
"""
)

DECISION = (
    '{"id":"%s","visitor_id":"%s","decisions":{"analytics":"granted","advertising":"denied",'
    '"marketing_email":"granted","personalisation":"denied"},"method":"custom",'
    '"banner_version":1,"policy_version":1,"language":"en"}'
)


def run(cmd, env, cwd=ROOT):
    subprocess.run(cmd, env=env, cwd=cwd, check=True)


def ensure_peer_venv():
    """A throwaway venv with the peer, rebuilt only when bench/peer/requirements.txt changes."""
    wanted = (PEER_DIR / "requirements.txt").read_text()
    marker = PEER_VENV / "requirements.txt"
    if marker.exists() and marker.read_text() == wanted:
        return
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(PEER_VENV)], os.environ)
    pip = [str(PEER_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    run([*pip, "-r", str(PEER_DIR / "requirements.txt")], os.environ)
    marker.write_text(wanted)


def wrk(server, script, args, extra_env=None):
    """Run wrk against a server; its BENCH line, CPU accounting and the backends' waits."""
    env = {**os.environ, **(extra_env or {})}
    sampler = BackendSampler(args.admin, server.db)
    app_before = cpu_ticks(server.pids())
    busy_before, total_before = machine_ticks()
    sampler.start()
    proc = subprocess.Popen(
        ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s", "--latency", "-s",
         str(script), f"http://127.0.0.1:{server.port}"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    app_after = cpu_ticks(server.pids())
    db_ticks = sampler.finish()
    busy_after, total_after = machine_ticks()
    line = next((x for x in out.splitlines() if x.startswith("BENCH")), None)
    if status != 0 or line is None:
        raise SystemExit(f"wrk failed:\n{out}")
    result = dict(part.split("=") for part in line.split()[1:])
    n = max(int(result["requests"]), 1)
    busy = (busy_after - busy_before) / TCK
    samples = sum(sampler.counts.values()) or 1
    return {
        "requests": n,
        "rps": float(result["rps"]),
        "p50": float(result["p50_ms"]),
        "p99": float(result["p99_ms"]),
        # A request still unanswered after wrk's --timeout is not a wrong answer; it is reported.
        "bad": int(result["non201"]) + int(result["errors"]) - int(result["timeouts"]),
        "timeouts": int(result["timeouts"]),
        "app_ms": (app_after - app_before) * 1000 / TCK / n,
        "db_ms": db_ticks * 1000 / TCK / n,
        "wrk_ms": (usage.ru_utime + usage.ru_stime) * 1000 / n,
        "busy_ms": busy * 1000 / n,
        "machine_busy": (busy_after - busy_before) / (total_after - total_before),
        "load": os.getloadavg()[0],
        "waits": {k: round(v / samples, 3) for k, v in sampler.counts.most_common(6)},
    }


def prime_visitors(port, pool, prefix):
    """One decision for each of the pool's visitors, so the returning runs meet known ones."""
    ids = [f"{prefix}{i}" for i in range(1, pool + 1)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for visitor in chunk:
            conn.request(
                "POST", "/api/v1/sites/bench/decisions", DECISION % (uuid.uuid4(), visitor),
                {"Content-Type": "application/json"},
            )  # fmt: skip
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                raise SystemExit(f"priming: {response.status} for a returning visitor")

    threads = [threading.Thread(target=worker, args=(ids[k::4],)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def profile(server, script, seconds, args, out_dir, label, extra_env=None):
    """py-spy samples every worker of a server while wrk loads it."""
    out = out_dir / f"profile-{label}.txt"
    spy = subprocess.Popen(
        [str(PEER_VENV / "bin" / "py-spy"), "record", "--pid", str(server.proc.pid),
         "--subprocesses", "--function", "--gil", "--format", "raw", "--rate", "250", "--nonblocking",
         "--duration", str(seconds), "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1)
    saved = args.duration
    args.duration = seconds - 2
    result = wrk(server, script, args, extra_env)
    args.duration = saved
    spy.wait(timeout=seconds + 60)
    summary = summarise_stacks(out, args.top)
    (out_dir / f"profile-{label}-summary.txt").write_text(summary + "\n")
    print(f"== profile {label}: {result['rps']:.0f}/s under py-spy\n{summary}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="gunicorn worker counts to run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="alternations per worker count")
    parser.add_argument("--visitors", type=int, default=2000, help="returning visitors' pool")
    parser.add_argument(
        "--cold-visitors",
        type=int,
        default=10000,
        help="pool for returning visitors the worker has not seen (workers reloaded first)",
    )
    parser.add_argument("--port", type=int, default=8102, help="ours; the peer's is port + 1")
    parser.add_argument("--profile", type=int, default=0, help="seconds of py-spy per workload")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=MODULE",
        help="also run ours under another settings module from bench/peer/ (own database)",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed; run: apt-get install wrk")
    ensure_peer_venv()

    pg = {k: os.environ.get(k, d) for k, d in
          [("PGHOST", "127.0.0.1"), ("PGPORT", "5432"), ("PGUSER", "postgres")]}  # fmt: skip
    base = f"postgres://{pg['PGUSER']}@{pg['PGHOST']}:{pg['PGPORT']}"
    args.admin = f"{base}/postgres"
    peer_db = f"peer_bench_dcc_{os.getpid()}"
    common = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    common.update(SECRET_KEY=f"bench-only-{uuid.uuid4().hex}", DEBUG="0")
    ours_env = {**common, "ALLOWED_HOSTS": "127.0.0.1", "TASK_BACKEND": "immediate",
                "LOG_LEVEL": "WARNING", "THROTTLE_PUBLIC": "100000000/min"}  # fmt: skip
    peer_env = {**common, "DATABASE_URL": f"{base}/{peer_db}", "PYTHONPATH": str(PEER_DIR),
                "DJANGO_SETTINGS_MODULE": "peersite.settings"}  # fmt: skip
    ours_servers = []
    for n, spec in enumerate(["ours=config.settings", *args.variant]):
        name, _, module = spec.partition("=")
        db = f"peer_bench_{name.replace('-', '_')}_{os.getpid()}"
        env = {**ours_env, "DATABASE_URL": f"{base}/{db}", "DJANGO_SETTINGS_MODULE": module,
               "PYTHONPATH": str(PEER_DIR)}  # fmt: skip
        port = args.port if n == 0 else args.port + 1 + n
        ours_servers.append(Server(name, db, port, env,
                            [str(OUR_PYTHON.parent / "gunicorn"), "config.wsgi:application"],
                            ROOT, "/healthz"))  # fmt: skip
    peer = Server("peer", peer_db, args.port + 1, peer_env,
                  [str(PEER_VENV / "bin" / "gunicorn"), "peersite.wsgi:application"], PEER_DIR,
                  "/cookies/status/")  # fmt: skip
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    results, answered = [], collections.Counter()
    servers = [*ours_servers, peer]
    with psycopg.connect(args.admin, autocommit=True) as admin:
        for server in servers:
            admin.execute(f"CREATE DATABASE {server.db}")
    try:
        for ours in ours_servers:
            manage = [str(OUR_PYTHON), "manage.py"]
            run([*manage, "migrate", "--no-input", "-v", "0"], ours.env)
            run([*manage, "shell", "-v", "0", "-c", OUR_SEED], ours.env)
        admin_cmd = [str(PEER_VENV / "bin" / "django-admin")]
        run([*admin_cmd, "migrate", "--no-input", "-v", "0"], peer_env, PEER_DIR)
        run([*admin_cmd, "shell", "-v", "0", "-c", PEER_SEED], peer_env, PEER_DIR)
        ours_script, peer_script = ROOT / "bench" / "decisions.lua", PEER_DIR / "accept.lua"
        returning = {"BENCH_VISITORS": str(args.visitors)}
        cold = {"BENCH_VISITORS": str(args.cold_visitors), "BENCH_VISITOR_PREFIX": "cold-"}
        primed = False
        worker_counts = [int(w) for w in args.workers.split(",")]
        workloads = [(f"{s.name}, first decisions", s, ours_script, None) for s in ours_servers]
        workloads.append(("django-cookie-consent accept", peer, peer_script, None))
        workloads.append(("ours, returning visitors", ours_servers[0], ours_script, returning))
        workloads += [(f"{s.name}, returning, unseen by the worker", s, ours_script, cold)
                      for s in ours_servers]  # fmt: skip
        for workers in worker_counts:
            saved, args.duration = args.duration, 3
            for server in servers:
                server.start(workers, args.threads)
                script = peer_script if server is peer else ours_script
                answered[server.name] += wrk(server, script, args)["requests"]
                if server is not peer and not primed:
                    prime_visitors(server.port, args.visitors, "pool-")
                    prime_visitors(server.port, args.cold_visitors, "cold-")
                    answered[server.name] += args.visitors + args.cold_visitors
            args.duration = saved
            primed = True
            print(f"== {workers} workers x {args.threads} threads, {os.cpu_count()} CPUs, "
                  f"wrk -t2 -c{args.connections} -d{args.duration}s")  # fmt: skip
            for round_ in range(1, args.rounds + 1):
                for label, server, script, extra in workloads:
                    if extra is cold:
                        server.reload()
                        saved, args.duration = args.duration, 3
                        answered[server.name] += wrk(server, script, args)["requests"]
                        args.duration = saved
                    row = wrk(server, script, args, extra)
                    answered[server.name] += row["requests"]
                    row.update(workload=label, workers=workers, round=round_)
                    results.append(row)
                    print(f"  {label:30} {row['rps']:7.0f}/s  p50 {row['p50']:6.2f}  "
                          f"p99 {row['p99']:6.2f} ms  bad {row['bad']}  timeouts {row['timeouts']}  CPU/decision app "
                          f"{row['app_ms']:.2f} + db {row['db_ms']:.2f} ms (wrk "
                          f"{row['wrk_ms']:.2f}, machine {row['busy_ms']:.2f}; busy "
                          f"{100 * row['machine_busy']:.0f}%, load {row['load']:.1f})")  # fmt: skip
                    print(f"  {'':30} backends: {row['waits']}")
                    if row["bad"]:
                        raise SystemExit(f"{row['bad']} bad answers: the figures do not count")
            if args.profile and workers == worker_counts[-1]:
                for ours in ours_servers:
                    label = ours.name
                    profile(ours, ours_script, args.profile, args, out_dir, f"{label}-first")
                    profile(ours, ours_script, args.profile, args, out_dir,
                            f"{label}-returning", returning)  # fmt: skip
                    ours.reload()
                    profile(ours, ours_script, args.profile, args, out_dir,
                            f"{label}-returning-unseen", cold)  # fmt: skip
                profile(peer, peer_script, args.profile, args, out_dir, "peer")
            for server in servers:
                server.stop()
        for ours in ours_servers:
            verify(ours, peer, answered)
        report(results, out_dir)
    finally:
        for server in servers:
            server.stop()
        with psycopg.connect(args.admin, autocommit=True) as admin:
            for server in servers:
                admin.execute(f"DROP DATABASE IF EXISTS {server.db} WITH (FORCE)")


def verify(ours, peer, answered):
    """Our ledger verifies and holds every answered decision; the peer logged every accept."""
    run([str(OUR_PYTHON), "manage.py", "verify_ledger"], ours.env)
    with psycopg.connect(ours.env["DATABASE_URL"]) as conn:
        receipts, events, states = conn.execute(
            "SELECT (SELECT count(*) FROM consent_decisionreceipt),"
            " (SELECT count(*) FROM consent_consentevent),"
            " (SELECT count(*) FROM consent_consentstate)"
        ).fetchone()
    with psycopg.connect(peer.env["DATABASE_URL"]) as conn:
        (log_items,) = conn.execute("SELECT count(*) FROM cookie_consent_logitem").fetchone()
    print(f"== {ours.name} ledger: ok; decisions answered {answered[ours.name]}, receipts {receipts}, "
          f"events {events}, states {states}; peer accepts answered {answered['peer']}, "
          f"log items {log_items}")  # fmt: skip
    # The py-spy runs are counted by wrk too, so every answered request must be stored.
    if receipts < answered[ours.name] or events != 4 * receipts:
        raise SystemExit("our ledger does not hold every answered decision")
    if log_items < 4 * answered["peer"]:
        raise SystemExit("the peer did not log every accept")


def report(results, out_dir):
    """Median per workload and worker count, as the table in bench/README.md."""
    groups = collections.defaultdict(list)
    for row in results:
        groups[(row["workers"], row["workload"])].append(row)

    def median(rows, key):
        values = sorted(r[key] for r in rows)
        return values[len(values) // 2] if len(values) % 2 else sum(
            values[len(values) // 2 - 1 : len(values) // 2 + 1]) / 2  # fmt: skip

    print("\n| workers | workload | decisions/s | p50 ms | p99 ms | CPU/decision app + db ms "
          "| per core (1000 / CPU) |\n|---:|---|---:|---:|---:|---:|---:|")  # fmt: skip
    for (workers, workload), rows in groups.items():
        app, db = median(rows, "app_ms"), median(rows, "db_ms")
        print(f"| {workers} | {workload} | {median(rows, 'rps'):,.0f} | "
              f"{median(rows, 'p50'):.1f} | {median(rows, 'p99'):.1f} | {app:.2f} + {db:.2f} "
              f"| {1000 / (app + db):,.0f} |")  # fmt: skip
    path = out_dir / f"peer-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"\nruns written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
