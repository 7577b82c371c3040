"""How much of a decision's statement is parameter quoting: psycopg's client-side binding of the
per-event columns as seven lists (today's `_chain_params`) against the same rows as one JSON
text, which the statement would unpack with jsonb_to_recordset. Prints microseconds per call.

    .venv/bin/python bench/peer/binding.py     # DATABASE_URL or PG* for the connection
"""

import json
import os
import timeit
import uuid
from datetime import UTC, datetime

import psycopg

SQL = "SELECT " + ", ".join(f"%({name})s" for name in ("a", "b", "c", "d", "e", "f", "g"))


def rows():
    hashes = [uuid.uuid4().hex * 2 for _ in range(5)]
    return [[n, 10 + n, None, "granted" if n % 2 else "denied", 1, hashes[n - 1], hashes[n]] for n in range(1, 5)]


def main():
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(url, cursor_factory=psycopg.ClientCursor) as conn:
        cursor = conn.cursor()
        events = rows()
        shared = {"now": datetime.now(UTC), "receipt": str(uuid.uuid4()), "method": "custom"}
        lists = {key: [row[i] for row in events] for i, key in enumerate("abcdefg")}
        as_json = {**{key: None for key in "abcdefg"}, "a": json.dumps(events)}
        for label, params in (("seven lists of 4", {**lists, **shared}), ("one JSON text", {**as_json, **shared})):
            seconds = min(timeit.repeat(lambda p=params: cursor.mogrify(SQL, p), number=2000, repeat=5))
            print(f"{label:18} {seconds / 2000 * 1e6:7.1f} µs per statement")


if __name__ == "__main__":
    main()
