#!/usr/bin/env bash
# The two commands of the README:
#   ./dev.sh serve   venv, install, migrate the SQLite database, demo data, demo admin, serve on :8000
#   ./dev.sh test    the whole test suite (set DATABASE_URL to run it on PostgreSQL); without
#                    arguments also the banner's build check, ESLint and unit tests (Node)
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

ensure_venv() {
    local wanted="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$(cat requirements.txt "$wanted" | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -r "$wanted"
        touch "$stamp"
    fi
}

ensure_browser() {
    # Browser tests drive Debian's Chromium; install it when we are allowed to.
    if [ ! -x /usr/bin/chromium ]; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
        else
            echo "Browser tests need Chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2
        fi
    fi
}

ensure_node_modules() {
    # Exactly what package-lock.json pins (npm ci), reinstalled only when the lockfile changes.
    if ! command -v npm >/dev/null; then
        echo "The banner's build check, lint and unit tests need Node.js 20+ and npm" >&2
        exit 1
    fi
    local stamp="node_modules/.ci-$(sha256sum package-lock.json | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        npm ci --silent --no-audit --no-fund >/dev/null
        touch "$stamp"
    fi
}

banner_checks() {
    # The committed static/consent/banner.js must be the build of static/consent/src (so that
    # serving needs no Node), the sources must pass ESLint, and the unit tests must pass.
    npm run --silent check
    npm run --silent lint
    npm test --silent >/dev/null || { npm test; exit 1; }
}

case "${1:-}" in
    serve)
        ensure_venv requirements.txt
        export DEBUG="${DEBUG:-1}" TASK_BACKEND="${TASK_BACKEND:-immediate}" CONSOLE_REQUIRE_OTP="${CONSOLE_REQUIRE_OTP:-0}"
        "$VENV/bin/python" manage.py migrate --no-input -v0
        "$VENV/bin/python" manage.py load_demo --history 90 --visitors 400
        "$VENV/bin/python" manage.py create_demo_admin
        echo "Serving on http://127.0.0.1:8000 (Ctrl-C to stop)"
        exec "$VENV/bin/python" manage.py runserver 127.0.0.1:8000
        ;;
    test)
        shift
        ensure_venv requirements-dev.txt
        ensure_browser
        ensure_node_modules
        # The whole suite (no arguments, as CI runs it) includes the banner's JavaScript checks.
        if [ "$#" -eq 0 ] || [ "${BANNER_CHECKS:-}" = 1 ]; then
            banner_checks
        fi
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: $0 serve | test [pytest args]" >&2
        exit 2
        ;;
esac
