"""Faults under load, nothing lost: banner decisions from concurrent clients against gunicorn on a
private PostgreSQL cluster that is stopped and started mid-run, with a gunicorn worker killed.
(Over 400 lines: one script that sets up, runs, checks and cleans up everything by itself.)

    .venv/bin/python bench/faults.py [--decisions 100000] [--clients 50] [--no-browser] [--dashboard]

What it does (everything on loopback, everything bounded in time, everything removed at the end):

1. initdb a throwaway cluster in a temporary directory on --pg-port (5499), as the `postgres` OS
   user when run as root; migrate; load one site with 4 optional purposes, banner and policy.
2. Start gunicorn (gthread, --workers x --threads, as bench/decisions.sh and the Dockerfile).
3. Run --clients threads, each with a persistent HTTP connection, sending banner decisions (a new
   visitor or one of a pool of returning visitors) with a client-made id. A decision is retried
   with the same id and body on a timeout, a broken connection, 503 (after its Retry-After, capped)
   or any 5xx, until answered 201 (recorded) or 200 (replay of a recorded one). Some acknowledged
   decisions are sent again on purpose: the answer must be 200 with the same receipt.
4. At --restart-at of the decisions, PostgreSQL is stopped (`pg_ctl stop -m fast`), kept down
   --down-seconds, started again; the app must answer 503 with Retry-After meanwhile, never 500,
   and recover without a restart. When Chromium and playwright are available, a few real
   browsers on /demo/<site>/ click "Accept all" while the database is down; their banners keep
   the decision in localStorage and retry, and the queue must drain once it is back.
5. At --kill-at, one gunicorn worker gets SIGKILL (its in-flight requests get no answer; the
   clients retry; gunicorn starts a new worker).
6. Afterwards: receipts in the database = unique acknowledged ids, none missing, none twice,
   `manage.py verify_ledger` exits 0. Non-zero exit if any of that fails.

--dashboard also times bench/dashboard.py's first roll-up of a million events (on the shared
PostgreSQL at --dashboard-db) while this load runs.

Over 400 lines on purpose: one self-contained load script (cluster, servers, clients, checks) run
from the command line.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from glob import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURPOSES = ["analytics", "advertising", "marketing_email", "personalisation"]
SITE = "bench"
BROWSER_WAIT = 600  # seconds a browser page waits for the outage to begin or end


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the private PostgreSQL cluster -----------------------------------------------------------


class Cluster:
    """A throwaway PostgreSQL cluster: initdb, start, stop, remove."""

    def __init__(self, port):
        bins = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise SystemExit("pg_ctl not found under /usr/lib/postgresql/*/bin")
        self.bin = Path(bins[-1]).parent
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="consent-faults-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{port}/consent_faults"

    def _run(self, *args, check=True):
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def init(self):
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=100 -c shared_buffers=128MB"
        )
        self.options = options
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "consent_faults")

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-o", self.options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def remove(self):
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- gunicorn ------------------------------------------------------------------------------------


class Server:
    def __init__(self, port, env, workers, threads):
        self.port = port
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
             "--worker-class", "gthread", "--keep-alive", "30", "--backlog", "512", "--timeout", "30",
             "--log-level", "warning", "--worker-tmp-dir", "/dev/shm"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(env["FAULTS_LOG"], "w"),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not self._healthy():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("gunicorn did not start; see " + env["FAULTS_LOG"])
            time.sleep(0.3)

    def _healthy(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the load ----------------------------------------------------------------------------------


class Load:
    """Clients sending decisions until --decisions are acknowledged, retrying each until it is."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.issued = 0
        self.acked = {}  # receipt id -> first acknowledging status
        self.counts = Counter()
        self.samples = {}  # first body seen per unexpected status
        self.deadline = time.monotonic() + args.time_limit
        self.stop = threading.Event()
        self.started = time.monotonic()

    def next_index(self):
        with self.lock:
            if self.issued >= self.args.decisions or self.stop.is_set() or time.monotonic() > self.deadline:
                return None
            self.issued += 1
            return self.issued

    def count(self, key, sample=None):
        with self.lock:
            self.counts[key] += 1
            if sample is not None:
                self.samples.setdefault(key, sample[:300])

    def client(self, number):
        rng = random.Random(number)
        conn = None
        path = f"/api/v1/sites/{SITE}/decisions"
        while self.next_index() is not None:
            visitor = f"pool-{rng.randrange(self.args.visitors)}" if rng.random() < 0.4 else f"v-{uuid.uuid4()}"
            body = {
                "id": str(uuid.uuid4()),
                "visitor_id": visitor,
                "decisions": {p: rng.choice(["granted", "denied"]) for p in PURPOSES},
                "method": "custom",
                "banner_version": 1,
                "policy_version": 1,
                "language": "en",
            }
            payload = json.dumps(body).encode()
            conn, status = self.deliver(conn, path, payload, body["id"])
            if status is None:
                break  # out of time
            with self.lock:
                self.acked.setdefault(body["id"], status)
            if rng.random() < self.args.replay_rate:
                conn, again = self.deliver(conn, path, payload, body["id"])
                self.count("replay answered 200" if again == 200 else f"replay answered {again}")

    def deliver(self, conn, path, payload, receipt_id):
        """Send until acknowledged: (connection, 201 or 200), or (connection, None) out of time."""
        tries = 0
        headers = {"Content-Type": "application/json"}
        while time.monotonic() < self.deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=self.args.timeout)
                conn.request("POST", path, payload, headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                self.count(f"transport: {type(exc).__name__}")
                if conn is not None:
                    conn.close()
                conn = None
                tries += 1
                time.sleep(min(0.1 * 2**tries, 2))
                continue
            if status in (200, 201):
                if json.loads(data).get("receipt_id") != receipt_id:
                    self.count("acknowledged with another receipt id", data.decode(errors="replace"))
                self.count(f"answer {status}")
                return conn, status
            self.count(f"answer {status}", data.decode(errors="replace"))
            if status == 503:
                if response.getheader("Retry-After") is None:
                    self.count("503 without Retry-After")
                wait = float(response.getheader("Retry-After") or 1)
            elif status >= 500 or status in (408, 429):
                wait = 0.5
            else:
                self.count("not retried (client error)")
                return conn, None
            tries += 1
            # The banner backs off 1, 2, 4 ... s; capped lower here so the run stays short.
            time.sleep(min(wait, 0.25 * 2**tries, 2) * (0.5 + random.random()))
        return conn, None

    def progress(self):
        with self.lock:
            return len(self.acked)


# --- real browsers during the outage -------------------------------------------------------------


class Browsers(threading.Thread):
    """A few Chromium pages on the demo host page; they click while the database is down."""

    def __init__(self, port, pages):
        super().__init__(daemon=True)
        self.port, self.pages = port, pages
        self.ready, self.down, self.clicked, self.up, self.done = (threading.Event() for _ in range(5))
        self.ids, self.error, self.drained_after, self.queued_while_down = [], None, None, 0

    def run(self):
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                pages = []
                for _ in range(self.pages):
                    page = browser.new_context().new_page()
                    page.goto(f"http://127.0.0.1:{self.port}/demo/{SITE}/", timeout=60_000)
                    page.wait_for_function("() => window.consent && window.consent._v", timeout=60_000)
                    pages.append(page)
                self.ready.set()
                if not self.down.wait(timeout=BROWSER_WAIT):
                    raise RuntimeError("the database was never stopped")
                queue = f"JSON.parse(localStorage.getItem('consent_{SITE}_queue') || '[]')"
                for page in pages:
                    page.get_by_role("button", name="Accept all").click()
                for page in pages:
                    page.wait_for_function(f"() => {queue}.length == 1", timeout=10_000)
                    self.ids.extend(item["id"] for item in page.evaluate(queue))
                self.queued_while_down = len(self.ids)
                self.clicked.set()
                self.up.wait(timeout=BROWSER_WAIT)
                started = time.monotonic()
                for page in pages:
                    page.wait_for_function(f"() => {queue}.length == 0", timeout=120_000)
                self.drained_after = time.monotonic() - started
                browser.close()
        except Exception as exc:  # reported, and the run fails
            self.error = f"{type(exc).__name__}: {exc}"[:500]
            self.ready.set()
            self.clicked.set()
        finally:
            self.done.set()


# --- the run -----------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--visitors", type=int, default=5_000, help="Pool of returning visitors (40 %% of decisions).")
    parser.add_argument("--replay-rate", type=float, default=0.02, help="Share of acknowledged ids sent again.")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--pg-port", type=int, default=5499)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10, help="Client timeout per request, seconds.")
    parser.add_argument("--restart-at", type=float, default=0.35)
    parser.add_argument("--down-seconds", type=float, default=5)
    parser.add_argument("--kill-at", type=float, default=0.7)
    parser.add_argument("--time-limit", type=float, default=1800, help="Seconds for the load, at most.")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--dashboard", action="store_true", help="Time bench/dashboard.py meanwhile.")
    parser.add_argument("--dashboard-db", default="postgres://postgres@127.0.0.1:5432/consent_faults_dashboard")
    args = parser.parse_args()

    cluster = Cluster(args.pg_port)
    server = dashboard = None
    log_file = cluster.dir / "gunicorn.log"
    env = dict(
        os.environ,
        DATABASE_URL=cluster.url,
        SECRET_KEY=f"bench-only-{uuid.uuid4()}",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        TASK_BACKEND="immediate",
        LOG_LEVEL="WARNING",
        THROTTLE_PUBLIC="100000000/min",
        PLAIN_STATIC="1",  # the demo host page's styles without collectstatic
        FAULTS_LOG=str(log_file),
    )
    failures = []
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        log(f"cluster in {cluster.dir} on port {args.pg_port}")
        cluster.init()
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
        subprocess.run([*manage, "shell", "-v", "0", "-c", SEED], cwd=ROOT, env=env, check=True, timeout=120)
        server = Server(args.port, env, args.workers, args.threads)
        log(f"gunicorn on 127.0.0.1:{args.port}: {args.workers} workers x {args.threads} threads (gthread)")
        if args.dashboard:
            dashboard = Dashboard(args.dashboard_db)
        failed, load, browser_ids = run(args, cluster, server, dashboard)
        server.stop()
        failures += failed + check(cluster, env, load, browser_ids)
    except KeyboardInterrupt:
        failures.append("interrupted")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
        if dashboard is not None:
            dashboard.finish()
        if failures:
            tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            if tail:
                print("--- end of gunicorn's log ---\n" + tail)
        cluster.remove()
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("OK: nothing acknowledged was lost, nothing recorded twice, the ledger verifies")


SEED = f"""
from django.utils import timezone
from consent.models import LegalBasis, PolicyVersion, Purpose, Site
from cookies.services import TEXT_KEYS, publish_banner
site = Site.objects.create(key={SITE!r}, name='Bench', languages=['en'])
Purpose.objects.create(site=site, key='essential', essential=True, legal_basis=LegalBasis.CONTRACT, position=0)
for n, key in enumerate({PURPOSES!r}, start=1):
    Purpose.objects.create(site=site, key=key, position=n)
publish_banner(site, {{'en': {{key: key.replace('_', ' ').capitalize() for key in TEXT_KEYS}}}})
now = timezone.now()
PolicyVersion.objects.create(site=site, version=1, text='Privacy policy', published_at=now, effective_at=now)
"""


class Dashboard:
    """bench/dashboard.py in the background, each output line stamped with the load's state."""

    def __init__(self, db):
        self.lines = []
        self.load_running = True
        self.process = subprocess.Popen(
            [sys.executable, "bench/dashboard.py", "--db", db, "--runs", "3"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        )  # fmt: skip
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(("under load" if self.load_running else "after the load", line.rstrip()))

    def finish(self):
        self.load_running = False
        try:
            self.process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.reader.join(timeout=5)
        print("--- bench/dashboard.py during the run ---")
        for state, line in self.lines:
            print(f"  [{state}] {line}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # so that the cleanup in main() runs


def run(args, cluster, server, dashboard):
    """The load with its faults; returns (failures, the load, ids the browsers queued)."""
    failures = []
    browsers = None
    if not args.no_browser:
        browsers = Browsers(args.port, args.browsers)
        browsers.start()
        browsers.ready.wait(timeout=180)  # pages loaded before the load begins
    load = Load(args)
    clients = [threading.Thread(target=load.client, args=(n,), daemon=True) for n in range(args.clients)]
    for thread in clients:
        thread.start()
    log(f"{args.clients} clients sending {args.decisions:,} decisions")
    restarted = killed = False
    last_report = time.monotonic()
    outage = None
    while any(t.is_alive() for t in clients):
        done = load.progress()
        if not restarted and done >= args.decisions * args.restart_at:
            restarted = True
            before = dict(load.counts)
            log(f"{done:,} acknowledged: stopping PostgreSQL (pg_ctl stop -m fast)")
            stopped = time.monotonic()
            cluster.stop("fast")
            if browsers is not None:
                browsers.down.set()
                browsers.clicked.wait(timeout=60)
            time.sleep(max(0, args.down_seconds - (time.monotonic() - stopped)))
            cluster.start()
            outage = time.monotonic() - stopped
            log(f"PostgreSQL back after {outage:.1f} s")
            if browsers is not None:
                browsers.up.set()
            during = Counter(load.counts) - Counter(before)
            log(f"answers while it was down and just after: {dict(during)}")
        if not killed and done >= args.decisions * args.kill_at:
            killed = True
            victim = server.workers()[0]
            log(f"{done:,} acknowledged: SIGKILL to gunicorn worker {victim}")
            os.kill(victim, signal.SIGKILL)
        if time.monotonic() - last_report > 15:
            last_report = time.monotonic()
            rate = done / (last_report - load.started)
            log(f"{done:,} acknowledged ({rate:,.0f}/s overall)")
        time.sleep(0.05)
    elapsed = time.monotonic() - load.started
    if dashboard is not None:
        dashboard.load_running = False
    log(f"load finished: {len(load.acked):,} acknowledged in {elapsed:.0f} s ({len(load.acked) / elapsed:,.0f}/s)")
    for key, value in sorted(load.counts.items()):
        print(f"    {key}: {value:,}")
    for key, sample in load.samples.items():
        print(f"    first body for {key}: {sample}")
    if len(load.acked) < args.decisions:
        failures.append(f"only {len(load.acked):,} of {args.decisions:,} acknowledged within the time limit")
    if load.counts["answer 500"]:
        failures.append(f"{load.counts['answer 500']} answers were 500")
    if restarted and not load.counts["answer 503"]:
        failures.append("no 503 while PostgreSQL was down")
    if load.counts["503 without Retry-After"]:
        failures.append("some 503 answers had no Retry-After")
    bad_replays = sum(
        v for k, v in load.counts.items() if k.startswith("replay answered") and k != "replay answered 200"
    )
    if bad_replays or load.counts["acknowledged with another receipt id"]:
        failures.append(f"{bad_replays} replays not answered 200 with the same receipt")
    if load.counts["not retried (client error)"]:
        failures.append(f"{load.counts['not retried (client error)']} decisions refused with a 4xx")
    if not killed:
        failures.append("no worker was killed")
    browser_ids = []
    if browsers is not None:
        browsers.done.wait(timeout=180)
        if browsers.error:
            failures.append(f"browser phase: {browsers.error}")
        else:
            log(
                f"browsers: {browsers.queued_while_down} decisions queued while the database was down, "
                f"queues drained {browsers.drained_after:.1f} s after it was back"
            )
        browser_ids = browsers.ids
    return failures, load, browser_ids


def check(cluster, env, load, browser_ids):
    """Receipts = acknowledged ids, none missing or twice; verify_ledger exits 0."""
    import psycopg

    failures = []
    browser_ids = set(browser_ids)
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT receipt_id::text FROM consent_decisionreceipt r JOIN consent_site s ON s.id = r.site_id "
            "WHERE s.key = %s",
            [SITE],
        ).fetchall()
        events = conn.execute("SELECT count(*) FROM consent_consentevent").fetchone()[0]
    stored = [row[0] for row in rows]
    unique = set(stored)
    acked = set(load.acked)
    missing = acked - unique
    missing_browser = browser_ids - unique
    unacknowledged = unique - acked - browser_ids
    print(
        f"receipts stored: {len(stored):,} (unique {len(unique):,}); acknowledged by the clients: {len(acked):,}; "
        f"browser decisions: {len(browser_ids)}; consent events: {events:,}"
    )
    if len(stored) != len(unique):
        failures.append(f"{len(stored) - len(unique)} receipt ids stored twice")
    if missing:
        failures.append(f"{len(missing)} acknowledged decisions missing, e.g. {sorted(missing)[:3]}")
    if missing_browser:
        failures.append(f"{len(missing_browser)} browser decisions missing")
    if unacknowledged:
        failures.append(f"{len(unacknowledged)} receipts no client saw acknowledged")
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    print(f"verify_ledger: exit {verify.returncode}: {verify.stdout.strip()[-300:]} {verify.stderr.strip()[-300:]}")
    if verify.returncode != 0:
        failures.append("verify_ledger failed")
    return failures


if __name__ == "__main__":
    main()
