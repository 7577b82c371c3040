"""gunicorn servers for the peer benchmark: start, reload, stop, and their processes."""

import http.client
import signal
import subprocess
import tempfile
import time
from pathlib import Path


class Server:
    """One gunicorn, its environment and database."""

    def __init__(self, name, db, port, env, argv, cwd, health):
        self.name, self.db, self.port, self.env = name, db, port, env
        self.argv, self.cwd, self.health, self.proc = argv, cwd, health, None

    def start(self, workers, threads):
        log = self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            [*self.argv, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--worker-class", "gthread", "--keep-alive", "30",
             "--backlog", "512", "--log-level", "warning", "--worker-tmp-dir", "/dev/shm"],
            env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", self.health)
                if conn.getresponse().status == 200 and len(self.workers()) == workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        log.seek(0)
        raise SystemExit(f"{self.name}: gunicorn did not start:\n{log.read()}")

    def reload(self):
        """New workers (SIGHUP): nothing a worker remembered from earlier requests is left."""
        old = set(self.workers())
        count = len(old)
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(self.workers())
            if len(now) == count and not now & old:
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"{self.name}: gunicorn did not reload its workers")
        while time.monotonic() < deadline:  # the new workers answer
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.health)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name}: gunicorn did not reload its workers")

    def workers(self):
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def pids(self):
        return [self.proc.pid, *self.workers()]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None
