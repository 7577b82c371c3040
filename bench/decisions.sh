#!/usr/bin/env bash
# Decisions recorded per second through gunicorn on PostgreSQL, over loopback.
#
# Creates a throwaway database, migrates it, loads a site with 4 purposes, starts gunicorn on
# 127.0.0.1:$PORT (default 8101), runs wrk (8 connections, 2 threads, 20 s, a new decision id and visitor on
# every request), prints decisions/s and p50/p99, checks the ledger, then stops gunicorn and
# drops the database.
#
# Environment (all optional):
#   PGHOST/PGPORT/PGUSER  PostgreSQL to use (default 127.0.0.1:5432, postgres, trust auth)
#   WORKERS, THREADS      gunicorn workers and threads per worker (default 4 and 2, gthread)
#   WORKER_CLASS          gunicorn worker class (default gthread)
#   DURATION, CONNECTIONS wrk duration (default 20s) and connections (default 8)
#   BENCH_VISITORS        draw visitors from a pool of this many (returning visitors) instead of
#                         a new visitor per decision
#   PORT                  loopback port for gunicorn (default 8101)
#   BENCH_DB              name of the throwaway database (default consent_bench_<pid>; dropped at the end)
#   PYTHON                interpreter with the requirements installed (default .venv/bin/python)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
GUNICORN=$(dirname "$PYTHON")/gunicorn
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
WORKERS=${WORKERS:-4}
THREADS=${THREADS:-2}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-8101}
DB=${BENCH_DB:-consent_bench_$$}
LOG=$(mktemp -t consent-bench-gunicorn.XXXXXX)

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else
        echo "wrk is not installed; run: sudo apt-get install wrk" >&2
        exit 1
    fi
fi

export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
export SECRET_KEY="bench-only-$(date +%s)-$$"
export DEBUG=0 ALLOWED_HOSTS=127.0.0.1 TASK_BACKEND=immediate LOG_LEVEL=WARNING
# The public throttle (per address) would stop a load test from one address after 120 requests.
export THROTTLE_PUBLIC=100000000/min

GUNICORN_PID=
cleanup() {
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill "$GUNICORN_PID"
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -f "$LOG"
}
trap cleanup EXIT

psql -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
"$PYTHON" manage.py migrate --no-input -v 0
"$PYTHON" manage.py shell -v 0 -c "
from django.utils import timezone
from consent.models import LegalBasis, PolicyVersion, Purpose, Site
from cookies.services import TEXT_KEYS, publish_banner
site = Site.objects.create(key='bench', name='Bench', languages=['en'], allowed_origins=['https://bench.test'])
Purpose.objects.create(site=site, key='essential', essential=True, legal_basis=LegalBasis.CONTRACT, position=0)
for n, key in enumerate(['analytics', 'advertising', 'marketing_email', 'personalisation'], start=1):
    Purpose.objects.create(site=site, key=key, position=n)
# The decisions name banner version 1 and policy version 1: both must be published.
publish_banner(site, {'en': {key: key.replace('_', ' ').capitalize() for key in TEXT_KEYS}})
now = timezone.now()
PolicyVersion.objects.create(site=site, version=1, text='Privacy policy', published_at=now, effective_at=now)
"

"$GUNICORN" config.wsgi:application --bind 127.0.0.1:$PORT --workers "$WORKERS" --threads "$THREADS" \
    --worker-class "${WORKER_CLASS:-gthread}" --keep-alive 30 --backlog 512 --log-level warning --worker-tmp-dir /dev/shm >"$LOG" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "gunicorn did not start:" >&2; cat "$LOG" >&2; exit 1; }

# CPU seconds (user + system) used so far by a list of pids, from /proc.
cpu_ticks() {
    local total=0 pid
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then
            total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
        fi
    done
    echo "$total"
}
app_pids() { echo "$GUNICORN_PID" $(pgrep -P "$GUNICORN_PID" || true); }
db_pids() { psql -At -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'" | tr '\n' ' '; }

echo "== warm-up (3 s)"
wrk -t2 -c"$CONNECTIONS" -d3s -s bench/decisions.lua "http://127.0.0.1:$PORT" | grep '^BENCH'
echo "== run: wrk -t2 -c$CONNECTIONS -d$DURATION --latency (gunicorn gthread, $WORKERS workers x $THREADS threads, $(nproc) CPUs)"
APP_PIDS=$(app_pids)
APP_BEFORE=$(cpu_ticks $APP_PIDS)
# PostgreSQL's backends come and go during a run (Django reopens a connection after
# CONN_MAX_AGE), so each one's CPU is followed: sampled every second, counted from its value at the
# start (0 for backends opened during the run) to the last one seen (a backend that closes loses
# at most its last second; the sampling itself costs a psql a second).
DB_SAMPLES=$(mktemp)
db_ticks() { local pid; for pid in $(db_pids); do [ -r "/proc/$pid/stat" ] && echo "$pid $(cpu_ticks "$pid")"; done; true; }
db_ticks | sed 's/^/start /' >"$DB_SAMPLES"
( while :; do db_ticks >>"$DB_SAMPLES"; sleep 1; done ) &
SAMPLER=$!
OUT=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/decisions.lua "http://127.0.0.1:$PORT")
APP_AFTER=$(cpu_ticks $APP_PIDS)
db_ticks >>"$DB_SAMPLES"
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
DB_USED=$(awk '$1 == "start" { start[$2] = $3; next } { if ($2 > last[$1]) last[$1] = $2 }
    END { for (pid in last) total += last[pid] - start[pid]; print total + 0 }' "$DB_SAMPLES")
rm -f "$DB_SAMPLES"
echo "$OUT"
SUMMARY=$(echo "$OUT" | grep '^BENCH')
REQUESTS=$(echo "$SUMMARY" | sed -E 's/.* requests=([0-9]+).*/\1/')
TCK=$(getconf CLK_TCK)

kill "$GUNICORN_PID"
wait "$GUNICORN_PID" 2>/dev/null || true
GUNICORN_PID=

echo "== ledger"
"$PYTHON" manage.py verify_ledger
COUNTS=$("$PYTHON" manage.py shell -v 0 -c "
from consent.models import ConsentEvent, DecisionReceipt
print(DecisionReceipt.objects.count(), ConsentEvent.objects.count())
")
read -r RECEIPTS EVENTS <<<"$COUNTS"

rps=$(echo "$SUMMARY" | sed -E 's/.* rps=([0-9.]+).*/\1/')
p50=$(echo "$SUMMARY" | sed -E 's/.* p50_ms=([0-9.]+).*/\1/')
p99=$(echo "$SUMMARY" | sed -E 's/.* p99_ms=([0-9.]+).*/\1/')
bad=$(echo "$SUMMARY" | sed -E 's/.* non201=([0-9]+).*/\1/')
echo "== result"
echo "decisions/s: $rps   p50: ${p50} ms   p99: ${p99} ms   non-201 answers: $bad"
echo "decisions recorded (warm-up included): $RECEIPTS   consent events written: $EVENTS   ledger: ok"
awk -v app=$((APP_AFTER - APP_BEFORE)) -v db="$DB_USED" -v n="$REQUESTS" -v tck="$TCK" \
    -v cpus="$(nproc)" 'BEGIN {
    a = app * 1000 / tck / n; d = db * 1000 / tck / n
    printf "CPU per decision: app %.2f ms + PostgreSQL %.2f ms = %.2f ms  (=> about %d decisions/s if %d CPUs were ours alone)\n",
        a, d, a + d, cpus * 1000 / (a + d), cpus
}'
if [ "$bad" != "0" ]; then
    echo "FAILED: $bad answers were not 201 Created; the figures above do not count" >&2
    exit 1
fi
