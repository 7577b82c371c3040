"""Lean row inserts shared by the ledger's write paths, and the switch for PostgreSQL's fast paths."""

from django.conf import settings
from django.db import connection


def fast_paths():
    """Whether the one-statement writes of PostgreSQL are used (the `LEDGER_FAST_PATHS` setting,
    on by default). Off, PostgreSQL takes the general path SQLite takes; the differential test
    compares the two."""
    return connection.vendor == "postgresql" and getattr(settings, "LEDGER_FAST_PATHS", True)


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
