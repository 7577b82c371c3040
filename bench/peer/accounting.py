"""CPU accounting from /proc, and what PostgreSQL backends wait on, for the peer benchmark."""

import collections
import os
import threading
from pathlib import Path

import psycopg

TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def machine_ticks():
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values[:8]) - idle, sum(values[:8])


class BackendSampler(threading.Thread):
    """Every 50 ms, what each backend of one database is doing (state / wait event) and its CPU.

    Backends come and go during a run (Django closes a connection after CONN_MAX_AGE), so
    each one's CPU is followed by pid: from its figure at the start (zero if it is new) to
    the last one seen.
    """

    QUERY = (
        "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()"
    )

    def __init__(self, admin, db):
        super().__init__(daemon=True)
        self.admin, self.db, self.stop_flag = admin, db, threading.Event()
        self.counts, self.last = collections.Counter(), {}
        self.conn = psycopg.connect(self.admin, autocommit=True)
        self.poll()
        self.first = dict(self.last)

    def poll(self):
        rows = self.conn.execute(self.QUERY, [self.db]).fetchall()
        for pid, *_ in rows:
            if (ticks := cpu_ticks([pid])) or pid not in self.last:
                self.last[pid] = ticks
        return rows

    def run(self):
        while not self.stop_flag.wait(0.05):
            for _, state, kind, event in self.poll():
                label = state or "?"
                if kind:
                    label += f":{kind}/{event}"
                self.counts[label] += 1

    def finish(self):
        """Stop sampling; the backends' CPU ticks used since the start."""
        self.stop_flag.set()
        self.join()
        self.poll()
        self.conn.close()
        return sum(ticks - self.first.get(pid, 0) for pid, ticks in self.last.items())
