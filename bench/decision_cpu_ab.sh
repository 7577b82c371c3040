#!/usr/bin/env bash
# CPU per decision of the code at REV against the working tree, alternated so that load from
# elsewhere falls on both:  bash bench/decision_cpu_ab.sh [REV] [ROUNDS] [DECISIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:-main}
ROUNDS=${2:-3}
DECISIONS=${3:-1000}
OLD=$(mktemp -d -t consent-ab.XXXXXX)
trap 'rm -rf "$OLD"' EXIT
git archive "$REV" | tar -x -C "$OLD"
for round in $(seq 1 "$ROUNDS"); do
    for side in old new; do
        root=$([ "$side" = old ] && echo "$OLD" || pwd)
        echo "== round $round: $side ($([ "$side" = old ] && echo "$REV" || echo "working tree"))"
        .venv/bin/python bench/decision_cpu.py --root "$root" --decisions "$DECISIONS" --rounds 1 \
            --db "postgres://postgres@127.0.0.1:5432/consent_bench_cpu_$side" 2>&1 | tail -4
    done
done
