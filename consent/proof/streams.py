"""Reading the ledger in key order, a page at a time (keyset pagination): memory stays flat however
large the ledger grows, and a range of ids can be handed to another process.

Rows come back as tuples straight from the database; the event rows carry what the chain hash
covers, already in the text form `consent.ledger.event_hash` gives it where the database can
produce it (PostgreSQL formats the time, the UUID and the JSON), which is what makes verifying fast.
"""

import json
import re
import uuid
from operator import itemgetter

from django.db import connection
from psycopg import ClientCursor, DatabaseError, pq

PAGE = 20_000
WINDOW = 65_536  # ids per read of the Merkle trees' leaves

# Nullable numbers come as their JSON text ('null' when NULL), so rows carry no NULLs at all.
_EVENT_COLUMNS_PG = (
    "id, site_id, subject_id, seq, purpose_id, coalesce(vendor_id::text, 'null'), decision, version, "
    "coalesce(policy_version::text, 'null'), coalesce(banner_version::text, 'null'), method, jurisdiction, "
    "language, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), ip, user_agent, "
    "coalesce(receipt_id::text, ''), evidence::text, prev_hash, hash"
)
_EVENT_COLUMNS_SQLITE = (
    "id, site_id, subject_id, seq, purpose_id, vendor_id, decision, version, policy_version, banner_version, "
    "method, jurisdiction, language, recorded_at, ip, user_agent, receipt_id, evidence, prev_hash, hash"
)


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def event_hash_pages(site_id, after_id, upto_id, window=WINDOW):
    """(id, hash, site) of a site's events with after_id < id <= upto_id, in id order: a list of
    `window` ids at a time."""
    while after_id < upto_id:
        end = min(after_id + window, upto_id)
        rows = event_hash_window(after_id, end, site_id)
        if rows:
            yield rows
        after_id = end


def event_hash_window(after_id, upto_id, site_id=None):
    """(id, hash, site) of the events with after_id < id <= upto_id (of one site, or of all), and
    of the tombstones of events removed by retention (so the trees still recompute), in id order.

    Read along the primary keys, without a sort in the database: the few tombstones are merged
    in here. A window of ids at a time, so the caller chooses the memory it takes."""
    where = "id > %s AND id <= %s" + (" AND site_id = %s" if site_id is not None else "")
    params = [after_id, upto_id] + ([site_id] if site_id is not None else [])
    rows = _fetch(f"SELECT id, hash, site_id FROM consent_consentevent WHERE {where} ORDER BY id", params)  # noqa: S608  (constant WHERE, values as parameters)
    stones = _fetch(f"SELECT id, hash, site_id FROM consent_compactedevent WHERE {where} ORDER BY id", params)  # noqa: S608  (constant WHERE, values as parameters)
    if stones:
        rows += stones
        rows.sort(key=itemgetter(0))  # two sorted runs: merged in one pass
    return rows


def _sqlite_time(value):
    # Django keeps SQLite datetimes as naive UTC; its connection may hand them back parsed.
    if not isinstance(value, str):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    text = value.replace(" ", "T")
    if "." not in text:
        text += ".000000"
    return text


_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_COPY_ESCAPE = re.compile(r"\\(.)")


def _copy_field(text):
    if text == "\\N":
        return None
    return _COPY_ESCAPE.sub(lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), text)


def _copy_rows(sql, params):
    """Rows of a query through COPY ... TO STDOUT, as tuples of text (None for NULL): several times
    cheaper than a cursor's rows, and streamed, so a range needs no paging. The connection is busy
    until the last row is read: consume the rows before running another query on it."""
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
        rest = b""
        for block in copy:
            lines = (rest + bytes(block)).split(b"\n")
            rest = lines.pop()
            for line in lines:
                text = line.decode()
                fields = text.split("\t")
                yield tuple(_copy_field(f) if "\\" in f else f for f in fields) if "\\" in text else tuple(fields)


def copy_lines(sql, params):
    """Rows of a query through COPY ... TO STDOUT as raw text lines (bytes, newline kept), one libpq
    call each (PostgreSQL only): no decoding, no tuples, none of psycopg's per-row machinery, so a
    reader that compares lines whole or splits them once pays little per row. COPY escapes tabs,
    newlines and backslashes inside values, so fields never run into each other. The values are
    bound client-side (COPY takes no parameters). The connection is busy until the generator ends;
    closing it early (`contextlib.closing`) reads the rest, so the connection can be used again."""
    connection.ensure_connection()
    conn = connection.connection
    pgconn = conn.pgconn
    pgconn.send_query(ClientCursor(conn).mogrify(f"COPY ({sql}) TO STDOUT", params).encode())
    result = pgconn.get_result()
    size = -1
    try:
        if result is not None and result.status == pq.ExecStatus.COPY_OUT:
            get = pgconn.get_copy_data
            while True:
                size, data = get(0)
                if size < 0:
                    break
                yield bytes(data)
    finally:
        while size >= 0:  # closed early: the rest of the rows still has to be read
            size, _ = pgconn.get_copy_data(0)
        error = None if result is None or result.status == pq.ExecStatus.COPY_OUT else result
        while (result := pgconn.get_result()) is not None:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                error = result
        if error is not None or size == -2:
            message = error.error_message if error is not None else pgconn.error_message
            raise DatabaseError(message.decode(errors="replace").strip())


def events_by_subject(lo, hi, page=PAGE):
    """Every event of subjects lo <= id < hi, by subject and seq, hash inputs in canonical text.

    Each row: (id, site, subject, seq, purpose, vendor, decision, version, policy_version,
    banner_version, method, jurisdiction, language, recorded_at text, ip, user_agent, receipt_id
    text or '', evidence JSON text, prev_hash, hash). On PostgreSQL every field is text, a missing
    vendor or version 'null', ready for the canonical JSON; on SQLite numbers stay numbers.
    """
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT {_EVENT_COLUMNS_PG} FROM consent_consentevent WHERE subject_id >= %s AND subject_id < %s "  # noqa: S608  (constant column list)
            "ORDER BY subject_id, seq"
        )
        yield from _copy_rows(sql, [lo, hi])
        return
    sql = (
        f"SELECT {_EVENT_COLUMNS_SQLITE} FROM consent_consentevent WHERE subject_id >= %s AND subject_id < %s "  # noqa: S608  (constant column list)
        f"AND (subject_id, seq) > (%s, %s) ORDER BY subject_id, seq LIMIT %s"
    )
    last_subject, last_seq = lo - 1, 0
    while True:
        rows = _fetch(sql, [lo, hi, last_subject, last_seq, page])
        for r in rows:
            receipt_id = str(uuid.UUID(r[16])) if r[16] else ""
            evidence = r[17] if isinstance(r[17], str) else json.dumps(r[17])
            yield (*r[:13], _sqlite_time(r[13]), r[14], r[15], receipt_id, evidence, r[18], r[19])
        if len(rows) < page:
            return
        last_subject, last_seq = rows[-1][2], rows[-1][3]


def compacted(lo, hi):
    """(subject, seq, id, prev_hash, hash, receipt_id text or '') of the tombstones of events removed
    by retention, for subjects lo <= id < hi, by subject and seq. Few: one query per range."""
    rows = _fetch(
        "SELECT subject_id, seq, id, prev_hash, hash, receipt_id FROM consent_compactedevent "
        "WHERE subject_id >= %s AND subject_id < %s ORDER BY subject_id, seq",
        [lo, hi],
    )
    return [(*r[:5], str(uuid.UUID(str(r[5]))) if r[5] else "") for r in rows]


def _paged(sql, lo, hi, page):
    """Rows keyed by an id column first, lo <= key < hi, in key order."""
    after = lo - 1
    while True:
        rows = _fetch(sql, [after, hi, page])
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]


def subjects(lo, hi, page=PAGE):
    """(id, site, last_seq, last_hash) of subjects lo <= id < hi."""
    sql = "SELECT id, site_id, last_seq, last_hash FROM consent_subject WHERE id > %s AND id < %s ORDER BY id LIMIT %s"
    return _paged(sql, lo, hi, page)


def states(lo, hi):
    """(subject, purpose, vendor, state, version, event) of the states of subjects lo <= id < hi.

    One query per range: callers keep ranges small (a few thousand subjects)."""
    return _fetch(
        "SELECT subject_id, purpose_id, vendor_id, state, version, event_id FROM consent_consentstate "
        "WHERE subject_id >= %s AND subject_id < %s",
        [lo, hi],
    )


def receipts(lo, hi):
    """(subject, site, receipt_id text, body) of the receipts of subjects lo <= id < hi."""
    postgres = connection.vendor == "postgresql"
    receipt = "receipt_id::text" if postgres else "receipt_id"
    # Only what is compared with the events: less JSON to parse.
    decisions = "jsonb_build_object('decisions', body->'decisions', 'vendors', body->'vendors')" if postgres else "body"
    rows = _fetch(
        f"SELECT subject_id, site_id, {receipt}, {decisions} FROM consent_decisionreceipt "  # noqa: S608  (constant expressions)
        "WHERE subject_id >= %s AND subject_id < %s",
        [lo, hi],
    )
    for subject_id, site_id, receipt_id, body in rows:
        body = body if isinstance(body, dict) else json.loads(body)
        yield subject_id, site_id, receipt_id if postgres else str(uuid.UUID(receipt_id)), body
