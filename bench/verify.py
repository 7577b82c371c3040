"""Time `verify_ledger` (and `checkpoint_ledger`) on a million chained events in a throwaway
PostgreSQL database.

    .venv/bin/python bench/verify.py [--events 1000000] [--workers 1,2] [--db postgres://postgres@127.0.0.1:5432/consent_bench_verify]

Creates (and at the end drops) the database, migrates it, and loads subjects with four events
each (one banner decision: real hash chains, states and receipts) with COPY, guards dropped
for the load and installed again after. Then times one checkpoint of every site and
`verify_ledger` with each worker count, printing events/s, the CPU time per event of the
verifying processes and of the PostgreSQL backends serving them (read from /proc: the server
must run on this machine), the projected events/s on two idle cores, and the peak memory (RSS).
"""

import argparse
import json
import os
import random
import resource
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PURPOSES = ["analytics", "advertising", "marketing_email", "personalisation"]
METHODS = ["accept_all", "reject_all", "custom", "preference_centre"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/consent_bench_verify")
    parser.add_argument("--keep", action="store_true", help="Do not drop the database at the end.")
    parser.add_argument("--reuse", action="store_true", help="Use the database as it is (kept by --keep).")
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

    from consent.ledger import drop_guards, install_guards
    from consent.proof.checkpoints import checkpoint_sites
    from consent.proof.verify import verify_ledger

    try:
        if not args.reuse:
            call_command("migrate", verbosity=0)
            drop_guards(connection)
            started = time.perf_counter()
            total = seed(connection, args.events)
            install_guards(connection)
            print(f"seeded {total:,} events in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            checkpoint_sites()
            print(f"checkpoint_ledger: {time.perf_counter() - started:.1f} s")
        connection.ensure_connection()
        for workers in (int(w) for w in args.workers.split(",")):
            backends = BackendCpu(name)
            cpu_before = _cpu()
            started = time.perf_counter()
            report = verify_ledger(workers=workers)
            elapsed = time.perf_counter() - started
            database_cpu, sampler_cpu = backends.stop()
            cpu = _cpu() - cpu_before - sampler_cpu
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            status = "ok" if report.ok else f"{len(report.problems)} problems, first: {report.problems[0]}"
            per_event = (cpu + database_cpu) / report.events * 1e6
            print(
                f"verify_ledger, {report.workers} process(es): {report.events:,} events, {report.subjects:,} "
                f"subjects, {report.checkpoints} checkpoints in {elapsed:.1f} s = {report.events / elapsed:,.0f} "
                f"events/s; CPU per event: verifier {cpu / report.events * 1e6:.2f} us ({cpu:.1f} s), "
                f"PostgreSQL {database_cpu / report.events * 1e6:.2f} us ({database_cpu:.1f} s), "
                f"projected on 2 idle cores {2e6 / per_event:,.0f} events/s; ranges read again in detail "
                f"{getattr(report, 'detailed_ranges', '-')}; peak RSS {own:.0f} MB (parent), {children:.0f} MB "
                f"(largest worker); "
                f"load average {os.getloadavg()[0]:.1f}; {status}"
            )
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


class BackendCpu:
    """CPU time (user + system) of the PostgreSQL backends serving one database, from /proc.

    A thread looks every 20 ms for the backends (process title 'postgres: [CLUSTER: ]USER DB ...')
    and the parallel workers they start ('... parallel worker for PID N'), and keeps each one's
    latest CPU time: a worker's backend that ends between two looks has been idle since
    its last task, so little is lost. `stop()` returns (backend CPU since the start, the thread's
    own CPU, to take off the caller's)."""

    def __init__(self, database, interval=0.02):
        self.marker = f" {database} ".encode()
        self.interval = interval
        self.tick = os.sysconf("SC_CLK_TCK")
        self.kinds, self.start, self.latest = {}, {}, {}
        self.start.update(self._sample())
        self.latest.update(self.start)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _backend(self, pid):
        kind = self.kinds.get(pid)
        if kind is None:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    title = f.read().replace(b"\x00", b" ").strip()
            except OSError:
                title = b""
            helper = title.startswith(b"postgres: ") and b" parallel worker for PID " in title
            kind = (helper and self._backend(int(title.split()[-1]))) or (
                title.startswith(b"postgres: ") and self.marker in title
            )
            # A new backend bears the server's command line until it has its title: look again.
            if kind or b"postgres" not in title:
                self.kinds[pid] = kind
        return kind

    def _sample(self):
        found = {}
        for name in os.listdir("/proc"):
            if name.isdigit() and self._backend(int(name)):
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        fields = f.read().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                found[int(name)] = (int(fields[11]) + int(fields[12])) / self.tick
        return found

    def _run(self):
        while not self.stopping.wait(self.interval):
            self.latest.update(self._sample())
        self.latest.update(self._sample())
        self.own = time.thread_time()

    def stop(self):
        self.stopping.set()
        self.thread.join()
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.latest.items()), self.own


def _cpu():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def seed(connection, events):
    """Subjects with one four-purpose banner decision each, over two sites, loaded with COPY."""
    from consent.ledger import canonical_time, event_hash
    from consent.models import Purpose, Site

    rng = random.Random(7)
    sites = [Site.objects.create(key="bench", name="Bench"), Site.objects.create(key="other", name="Other")]
    purposes = {
        site.pk: [Purpose.objects.create(site=site, key=k, position=i + 1) for i, k in enumerate(PURPOSES)]
        for site in sites
    }
    subjects = events // len(PURPOSES)
    now = datetime.now(UTC)
    event_id = state_id = 0
    raw = connection.connection
    batch = 20_000
    with raw.cursor() as cur:
        for start in range(0, subjects, batch):
            subject_rows, event_rows, state_rows, receipt_rows = [], [], [], []
            for subject_id in range(start + 1, min(start + batch, subjects) + 1):
                site = sites[0] if subject_id % 50 else sites[1]
                method = rng.choice(METHODS)
                at = now - timedelta(seconds=rng.randrange(120 * 86400), microseconds=rng.randrange(10**6))
                receipt_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                prev, decisions = "", {}
                for seq, purpose in enumerate(purposes[site.pk], 1):
                    event_id += 1
                    decision = "granted" if method == "accept_all" or rng.random() < 0.4 else "denied"
                    event = SimpleNamespace(
                        site_id=site.pk, subject_id=subject_id, seq=seq, purpose_id=purpose.pk, vendor_id=None,
                        decision=decision, version=1, policy_version=2, banner_version=3, method=method,
                        jurisdiction="FR", language="fr", recorded_at=at, ip="203.0.113.0",
                        user_agent="Mozilla/5.0 (bench)", receipt_id=receipt_id, evidence={},
                    )  # fmt: skip
                    digest = event_hash(event, prev)
                    event_rows.append(
                        (event_id, site.pk, subject_id, seq, purpose.pk, None, decision, 1, 2, 3, method, "FR", "fr",
                         at, "203.0.113.0", "Mozilla/5.0 (bench)", receipt_id, "{}", prev, digest)
                    )  # fmt: skip
                    state_id += 1
                    state_rows.append((state_id, subject_id, purpose.pk, None, decision, 1, 2, 3, method, at, event_id))
                    decisions[purpose.key] = {"state": decision, "version": 1}
                    prev = digest
                subject_rows.append((subject_id, site.pk, "", None, at, None, len(PURPOSES), prev))
                body = {
                    "receipt_id": str(receipt_id), "recorded_at": canonical_time(at).replace("+00:00", "Z"),
                    "site": site.key, "subject": f"v-{subject_id}", "method": method, "decisions": decisions,
                    "banner_version": 3, "policy_version": 2,
                }  # fmt: skip
                receipt_rows.append((site.pk, receipt_id, subject_id, "0" * 64, json.dumps(body), at))
            copy(cur, "consent_subject", "id, site_id, email, birth_year, created_at, erased_at, last_seq, last_hash",
                 subject_rows)  # fmt: skip
            copy(cur, "consent_consentevent", "id, site_id, subject_id, seq, purpose_id, vendor_id, decision, version, "
                 "policy_version, banner_version, method, jurisdiction, language, recorded_at, ip, user_agent, "
                 "receipt_id, evidence, prev_hash, hash", event_rows)  # fmt: skip
            copy(cur, "consent_consentstate", "id, subject_id, purpose_id, vendor_id, state, version, policy_version, "
                 "banner_version, method, updated_at, event_id", state_rows)  # fmt: skip
            copy(cur, "consent_decisionreceipt", "site_id, receipt_id, subject_id, fingerprint, body, recorded_at",
                 receipt_rows)  # fmt: skip
        for table in ("consent_subject", "consent_consentevent", "consent_consentstate"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        raw.commit()
        for table in ("consent_subject", "consent_consentevent", "consent_consentstate", "consent_decisionreceipt"):
            cur.execute(f"VACUUM ANALYZE {table}")
    return event_id


def copy(cur, table, columns, rows):
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


if __name__ == "__main__":
    main()
