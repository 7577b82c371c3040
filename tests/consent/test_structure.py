"""Guards of the ledger's shape: the raw SQL of the one-statement writes names every column of the
models it writes, and the hash covers every event field (imports: tests/test_layers.py)."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consent.ledger import event_hash
from consent.models import ConsentEvent, ConsentState, DecisionReceipt, Subject, SubjectAlias
from consent.services import chain, first_decision

ROOT = Path(__file__).resolve().parents[2]
STATEMENTS = {
    "chain": chain._WRITE_CHAIN_SQL,
    "first_decision": first_decision._WRITE_FIRST_SQL,
    "state update": chain._UPDATE_STATE_SQL,
}


def columns(model, *, with_pk=False):
    return {f.column for f in model._meta.concrete_fields if with_pk or not f.primary_key}


def inserts(sql):
    """{table: [columns]} of every INSERT in a statement."""
    found = {}
    for table, names in re.findall(r"INSERT INTO (\w+) \(([^)]*)\)", sql):
        found.setdefault(table, []).append([n.strip() for n in names.split(",")])
    return found


def updated(sql, table):
    """The columns every UPDATE of `table` sets."""
    sets = re.findall(rf"UPDATE {table}(?: \w+)?\s+SET (.*?)(?:\s+(?:FROM|WHERE)\b)", sql, flags=re.S)
    return [{part.split("=")[0].strip() for part in s.split(",")} for s in sets]


# An event with a distinct value in every field.
EVENT = dict(
    site_id=1,
    subject_id=2,
    seq=11,
    purpose_id=12,
    vendor_id=13,
    decision="granted",
    version=14,
    policy_version=15,
    banner_version=16,
    method="custom",
    jurisdiction="FR",
    language="fr",
    recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
    ip="203.0.113.0",
    user_agent="agent",
    receipt_id="6f1c2b9e-6d7a-4f7e-9a61-0c3f5b2d8e41",
    evidence={"gpc": True},
    prev_hash="p",
)


@pytest.mark.parametrize("name", ["chain", "first_decision"])
def test_the_one_statement_writes_insert_every_column_of_their_models(name):
    sql = STATEMENTS[name]
    expected = {
        ConsentEvent._meta.db_table: columns(ConsentEvent),
        ConsentState._meta.db_table: columns(ConsentState),
        Subject._meta.db_table: columns(Subject, with_pk=True),  # its id is drawn ahead
        SubjectAlias._meta.db_table: columns(SubjectAlias),
        DecisionReceipt._meta.db_table: columns(DecisionReceipt),
    }
    found = inserts(sql)
    assert found, "no INSERT found: the parser no longer matches the statement"
    for table, lists in found.items():
        for names in lists:
            assert len(names) == len(set(names)), f"{table}: a column twice"
            assert set(names) == expected[table], f"{name} inserts into {table}: {set(names) ^ expected[table]}"


def test_every_state_update_moves_every_column_but_the_key():
    moved = columns(ConsentState) - {"subject_id", "purpose_id", "vendor_id"}
    sets = updated(chain._WRITE_CHAIN_SQL, "consent_consentstate") + updated(
        chain._UPDATE_STATE_SQL + " WHERE", "consent_consentstate"
    )
    assert len(sets) == 2
    for names in sets:
        assert names == moved, names ^ moved


def test_the_chain_params_carry_every_event_field():
    """Each event field reaches the one-statement writes, as one shared value or one array entry
    (site and subject are passed by the callers)."""
    event = ConsentEvent(**EVENT)
    params = chain.chain_params([event])
    passed = [value for name, value in params.items() if name != "rows"]
    (row,) = json.loads(params["rows"])
    passed += list(row.values())
    for name, value in EVENT.items():
        if name in ("site_id", "subject_id"):
            continue
        wire = json.dumps(value) if isinstance(value, dict) else value
        assert wire in passed, f"{name} is not passed to the one-statement writes"


def test_the_hash_covers_every_event_field():
    """Changing any stored field of an event changes its hash (only id and the hash itself are outside)."""
    base = EVENT
    fields = {f.attname for f in ConsentEvent._meta.concrete_fields} - {"id", "hash"}
    assert fields == set(base), f"new event fields: {fields ^ set(base)}"
    original = event_hash(ConsentEvent(**base), "p")
    for name, value in base.items():
        if name == "prev_hash":
            continue  # chained through the `prev_hash` argument, checked below
        changed = {**base, name: _other(value)}
        assert event_hash(ConsentEvent(**changed), "p") != original, f"{name} is not hashed"
    assert event_hash(ConsentEvent(**base), "q") != original


def _other(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, datetime):
        return value.replace(microsecond=1)
    if isinstance(value, dict):
        return {**value, "more": 1}
    if value and value[0].isdigit():
        return "0" + value[1:]
    return value + "x"
