"""Lean row inserts shared by the ledger's write paths, the switch for PostgreSQL's fast paths
and the prepared statements they run."""

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def fast_paths():
    """Whether the one-statement writes of PostgreSQL are used (the `LEDGER_FAST_PATHS` setting,
    on by default). Off, PostgreSQL takes the general path SQLite takes; the differential test
    compares the two."""
    return connection.vendor == "postgresql" and getattr(settings, "LEDGER_FAST_PATHS", True)


class _LoggedPreparedCursor(CursorDebugWrapper):
    """Django's query log for a server-binding cursor: the statement as written (Django's own
    rendering of the executed query expects a client-binding cursor)."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def prepared_cursor():
    """A cursor (use it in `with`) whose statements PostgreSQL parses and plans once per connection.

    The fast paths' statements are long chains of CTEs: planning one took about as long as
    running it (0.4-0.5 ms each time, `EXPLAIN ANALYZE`). Django's own cursors bind parameters on
    the client and so can never prepare; this one binds on the server and prepares each
    statement the first time it runs on a connection. Off with `LEDGER_PREPARED_STATEMENTS =
    False` (e.g. behind a connection pooler that cannot keep prepared statements): then it is an
    ordinary cursor. Errors and query logging are Django's, as with `connection.cursor()`.
    """
    # The connection itself rather than the `connection` proxy: the cursor reads it on every
    # execute, and each read through the proxy is a thread-local look-up.
    db = connections[DEFAULT_DB_ALIAS]
    if not settings.LEDGER_PREPARED_STATEMENTS:
        return db.cursor()
    db.ensure_connection()
    raw = db.connection
    # Django leaves the threshold unset (never prepare); only server-binding cursors such as
    # this one read it, Django's client-binding cursors never prepare whatever it says.
    raw.prepare_threshold = 0
    wrapper = _LoggedPreparedCursor if db.queries_logged else CursorWrapper
    return wrapper(psycopg.Cursor(raw), db)


_INSERT_PLANS = {}


def _insert_plan(model, with_pk=False):
    """(quoted columns, fields) for inserting rows of a model, worked out once per model."""
    plan = _INSERT_PLANS.get((model, with_pk))
    if plan is None:
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        quote = connection.ops.quote_name
        plan = _INSERT_PLANS[(model, with_pk)] = (", ".join(quote(f.column) for f in fields), fields)
    return plan


def insert_rows(objs, *, skip_conflicts=False):
    """INSERT model instances in one statement and set their ids, like bulk_create but leaner.

    The decision hot path writes a handful of rows per request; the ORM's generic bulk_create
    (query compilation, UNNEST arrays on PostgreSQL) costs more CPU than the database work.
    Values are prepared by the fields themselves, exactly as the ORM would store them.

    With `skip_conflicts`, rows that break a unique constraint are left out (ON CONFLICT DO
    NOTHING) and only the inserted ones are returned, without a savepoint round trip.
    """
    if not objs:
        return objs
    if not connection.features.can_return_rows_from_bulk_insert:
        if skip_conflicts:
            raise NotImplementedError("skip_conflicts needs INSERT ... RETURNING")
        return type(objs[0]).objects.bulk_create(objs)
    meta = objs[0]._meta
    columns, fields = _insert_plan(type(objs[0]), with_pk=objs[0].pk is not None)
    params = []
    for obj in objs:
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
        f"VALUES {', '.join([row] * len(objs))}{' ON CONFLICT DO NOTHING' if skip_conflicts else ''} "
        f"RETURNING {connection.ops.quote_name(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    if skip_conflicts and len(ids) < len(objs):
        return []  # which rows went in is not known: callers of this mode treat it as all or nothing
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
