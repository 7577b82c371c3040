#!/usr/bin/env bash
# Read speed of the banner's endpoints against a bare constant Django view, in the same run.
#
# Creates a throwaway PostgreSQL database, migrates it, loads the demo sites, starts gunicorn
# on 127.0.0.1:8603 with bench/readsite (the project's settings plus GET /bench/constant and an
# X-SQL-Queries header), warms each URL, prints the SQL each ran warm, then runs wrk on each
# (Accept-Encoding: gzip, br, as browsers send) in interleaved rounds and prints the median
# requests/s and its ratio to the constant view's. Stops gunicorn and drops
# the database at the end.
#
# Environment (all optional):
#   PGHOST/PGPORT/PGUSER  PostgreSQL (default 127.0.0.1:5432, postgres, trust auth)
#   REDIS_URL             use Redis as the shared cache (default: each process's local memory)
#   WORKERS, THREADS      gunicorn workers and threads per worker (default 2 and 2, gthread)
#   DURATION, CONNECTIONS wrk duration per URL and round (default 5s) and connections (default 8)
#   ROUNDS                rounds over all URLs, interleaved so that load from elsewhere hits all (5)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
GUNICORN=$(dirname "$PYTHON")/gunicorn
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
CONNECTIONS=${CONNECTIONS:-8}
PORT=8603
DB=consent_reads_$$
URL="http://127.0.0.1:$PORT"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }

export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
export SECRET_KEY="bench-only-$(date +%s)-$$"
export DEBUG=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING PLAIN_STATIC=1
export THROTTLE_PUBLIC=100000000/min  # one address would be throttled after 120 requests
export DJANGO_SETTINGS_MODULE=bench.readsite.settings

GUNICORN_PID=
cleanup() {
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill "$GUNICORN_PID"
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
"$PYTHON" manage.py migrate --no-input -v 0
"$PYTHON" manage.py shell -v 0 -c "
from demo import mailer, network
from demo.loader import load_site
for spec in (network.SITE, mailer.SITE):
    load_site(spec)
"
"$GUNICORN" config.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads "$THREADS" \
    --worker-class gthread --log-level warning &
GUNICORN_PID=$!
for _ in $(seq 100); do curl -sf "$URL/bench/constant" >/dev/null && break; sleep 0.1; done

ETAG=$(curl -s -o /dev/null -D - -H "Accept-Encoding: gzip, br" "$URL/c/network.js?lang=en" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
declare -A HEADERS=(
    [constant]=""
    [embed]=""
    [embed-304]="If-None-Match: $ETAG"
    [config]=""
    [details]=""
)
declare -A PATHS=(
    [constant]="/bench/constant"
    [embed]="/c/network.js?lang=en"
    [embed-304]="/c/network.js?lang=en"
    [config]="/api/v1/sites/network/config?lang=en"
    [details]="/c/network/details.json?lang=en"
)
ORDER=(constant embed embed-304 config details)

echo "SQL queries per warm request (each gunicorn process warmed):"
for name in embed embed-304 config details constant; do
    for _ in $(seq $((WORKERS * THREADS * 4))); do
        curl -s -o /dev/null -H "Accept-Encoding: gzip, br" ${HEADERS[$name]:+-H "${HEADERS[$name]}"} "$URL${PATHS[$name]}"
    done
    queries=$(curl -s -o /dev/null -D - -H "Accept-Encoding: gzip, br" ${HEADERS[$name]:+-H "${HEADERS[$name]}"} \
        "$URL${PATHS[$name]}" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-sql-queries"{print $2}')
    status=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "Accept-Encoding: gzip, br" \
        ${HEADERS[$name]:+-H "${HEADERS[$name]}"} "$URL${PATHS[$name]}")
    echo "  $name: $queries (status and bytes: $status)"
done

echo "wrk -t2 -c$CONNECTIONS -d$DURATION per URL, $ROUNDS interleaved rounds, gunicorn $WORKERS workers x $THREADS threads:"
declare -A RESULTS=()
for round in $(seq "$ROUNDS"); do
    line="  round $round:"
    for name in "${ORDER[@]}"; do
        args=(-t2 "-c$CONNECTIONS" "-d$DURATION" -H "Accept-Encoding: gzip, br")
        if [ -n "${HEADERS[$name]}" ]; then args+=(-H "${HEADERS[$name]}"); fi
        rps=$(wrk "${args[@]}" "$URL${PATHS[$name]}" | awk '/Requests\/sec/{print $2}')
        RESULTS[$name]="${RESULTS[$name]:-} $rps"
        line="$line $name $rps"
    done
    echo "$line"
done
echo "median req/s (and ratio to the constant view's median):"
base=$(echo ${RESULTS[constant]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
for name in "${ORDER[@]}"; do
    median=$(echo ${RESULTS[$name]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "  $name: $median ($(awk -v m="$median" -v b="$base" 'BEGIN {printf "%.2f", m / b}')x)"
done
