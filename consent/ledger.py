"""Proof of the ledger: the database guards that make it append-only, and the hash chain.

Each subject's events form a chain: event n stores the SHA-256 of its canonical content,
which includes the hash of event n-1. Changing, removing or reordering any event breaks
every hash after it, which `verify_chain` (and `manage.py verify_ledger`) detects.

Over 400 lines on purpose: the guards are SQL for two databases, kept beside the hash they protect
so that what the database refuses and what the chain proves are read together.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from json.encoder import encode_basestring

from consent.models import ConsentEvent, Subject

# Tables the database refuses to change. The value is the condition under which a row is
# frozen: None for always (append-only), else a column that is set once the row is published.
# Every guarded table also refuses TRUNCATE (PostgreSQL; SQLite has no TRUNCATE, and its
# DELETE without WHERE is refused row by row).
GUARDED_TABLES = {
    "consent_consentevent": None,
    "consent_auditevent": None,
    "consent_policyversion": "published_at",
    "cookies_bannerversion": "published_at",
    "consent_decisionreceipt": None,
    "consent_ledgercheckpoint": None,
    "consent_ledgercompaction": None,
    "consent_compactedevent": None,
}

# UPDATEs a guarded table lets through: a receipt may only lose its subject reference (erasure
# removes personal data; the decisions, ids and times stay). Conditions on OLD and NEW.
_ALLOWED_UPDATES = {
    "consent_decisionreceipt": {
        "postgresql": (
            "NEW.body -> 'subject' = 'null'::jsonb AND (NEW.body - 'subject') = (OLD.body - 'subject') "
            "AND (NEW.id, NEW.site_id, NEW.receipt_id, NEW.subject_id, NEW.fingerprint, NEW.recorded_at) IS NOT "
            "DISTINCT FROM (OLD.id, OLD.site_id, OLD.receipt_id, OLD.subject_id, OLD.fingerprint, OLD.recorded_at)"
        ),
        "sqlite": (
            "json_type(NEW.body, '$.subject') = 'null' "
            "AND json_remove(NEW.body, '$.subject') = json_remove(OLD.body, '$.subject') "
            "AND NEW.id IS OLD.id AND NEW.site_id IS OLD.site_id AND NEW.receipt_id IS OLD.receipt_id "
            "AND NEW.subject_id IS OLD.subject_id AND NEW.fingerprint IS OLD.fingerprint "
            "AND NEW.recorded_at IS OLD.recorded_at"
        ),
    },
}

# DELETEs a guarded table lets through: retention (features/retention.py) may remove an event only
# once its tombstone, with the same id and hash, is recorded (docs/retention.md). PostgreSQL
# refuses subqueries in a trigger's WHEN, so there the check lives in its own function.
_ALLOWED_DELETES = {
    "consent_consentevent": {
        "sqlite": "EXISTS (SELECT 1 FROM consent_compactedevent c WHERE c.id = OLD.id AND c.hash = OLD.hash)",
    },
}
_PG_EVENT_DELETE_FUNCTION = """
CREATE OR REPLACE FUNCTION consent_guard_event_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM consent_compactedevent c WHERE c.id = OLD.id AND c.hash = OLD.hash) THEN
        RAISE EXCEPTION 'DELETE on consent_consentevent is refused: the row is immutable'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END
$$;
"""

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION consent_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is refused: the row is immutable', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
"""

# The chain head (Subject.last_seq, last_hash) only moves forward, onto an event that exists.
# An AFTER trigger: on PostgreSQL the events and the head are written by one statement, and
# only after it has run are its new events visible to the check (one index probe).
_PG_HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION consent_guard_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.last_seq <= OLD.last_seq THEN
        RAISE EXCEPTION 'chain head of subject % may only move forward (% -> %)', NEW.id, OLD.last_seq, NEW.last_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM consent_consentevent
                   WHERE subject_id = NEW.id AND seq = NEW.last_seq AND hash = NEW.last_hash) THEN
        RAISE EXCEPTION 'chain head of subject % does not match an event', NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
"""
_HEAD_TRIGGER = "consent_subject_head_forward"
_SUBJECT_DELETE_TRIGGER = "consent_subject_no_delete"
_HEAD_CHANGED = "(NEW.last_seq IS DISTINCT FROM OLD.last_seq OR NEW.last_hash IS DISTINCT FROM OLD.last_hash)"


# What a recorded consent means: once an event references a purpose, its site, key, legal
# basis and essential flag are fixed; once one references a vendor, its site and key are; and
# once a purpose has events, which vendors it covers is fixed too (adding one would stretch
# consents already given to a new recipient, removing one would orphan recorded vendor choices).
# Names, descriptions and translations stay editable. Each entry: (trigger, table, operation,
# columns whose change is refused, condition on the row, SQL telling whether events pin it).
MEANING_GUARDS = (
    (
        "consent_purpose_meaning_frozen",
        "consent_purpose",
        "UPDATE",
        ("site_id", "key", "legal_basis", "essential"),
        "SELECT 1 FROM consent_consentevent WHERE purpose_id = OLD.id",
    ),
    (
        "consent_vendor_meaning_frozen",
        "consent_vendor",
        "UPDATE",
        ("site_id", "key"),
        "SELECT 1 FROM consent_consentevent WHERE vendor_id = OLD.id",
    ),
    (
        "consent_vendor_purposes_add_frozen",
        "consent_vendor_purposes",
        "INSERT",
        (),
        "SELECT 1 FROM consent_consentevent WHERE purpose_id = NEW.purpose_id",
    ),
    (
        "consent_vendor_purposes_remove_frozen",
        "consent_vendor_purposes",
        "DELETE",
        (),
        "SELECT 1 FROM consent_consentevent WHERE purpose_id = OLD.purpose_id",
    ),
    (
        "consent_vendor_purposes_change_frozen",
        "consent_vendor_purposes",
        "UPDATE",
        (),
        "SELECT 1 FROM consent_consentevent WHERE purpose_id = OLD.purpose_id OR purpose_id = NEW.purpose_id",
    ),
)

_MEANING_MESSAGE = "{op} on {table} is refused: recorded consents depend on it"


def _changed(columns, distinct):
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def install_meaning_guards(cursor, vendor):
    """Create the MEANING_GUARDS triggers (a migration installs them; so does install_guards)."""
    for name, table, op, columns, pinned in MEANING_GUARDS:
        message = _MEANING_MESSAGE.format(op=op, table=table)
        of = f"OF {', '.join(columns)} " if columns else ""
        if vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF EXISTS ({pinned}) THEN RAISE EXCEPTION '{message}' "
                f"USING ERRCODE = 'integrity_constraint_violation'; END IF; "
                f"RETURN {'OLD' if op == 'DELETE' else 'NEW'}; END $$"
            )
            when = f"WHEN ({_changed(columns, 'IS DISTINCT FROM')}) " if columns else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE {op} {of}ON {table} FOR EACH ROW {when}EXECUTE FUNCTION {name}()"
            )
        elif vendor == "sqlite":
            changed = f"({_changed(columns, 'IS NOT')}) AND " if columns else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE {op} {of}ON {table} FOR EACH ROW "
                f"WHEN {changed}EXISTS ({pinned}) BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def drop_meaning_guards(cursor, vendor):
    for name, table, *_rest in MEANING_GUARDS:
        if vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        elif vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _trigger_name(table, op):
    return f"{table}_no_{op.lower()}"


def _existing(connection, tables):
    """The guarded tables that exist: a migration older than a table installs guards without it."""
    present = set(connection.introspection.table_names())
    return [t for t in (tables or GUARDED_TABLES) if t in present], present


def install_guards(connection, tables=None, *, compaction=True):
    """Create the triggers that refuse UPDATE, DELETE and TRUNCATE (on PostgreSQL and SQLite).

    Without `tables`, every guarded table, the chain-head guard of subjects and the triggers that
    keep what recorded consents mean (MEANING_GUARDS). `compaction=False` refuses every DELETE
    of events, even behind a tombstone (as before retention existed).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            cursor.execute(_PG_EVENT_DELETE_FUNCTION)
        if tables is None:
            install_meaning_guards(cursor, connection.vendor)
        existing, present = _existing(connection, tables)
        # Until the tombstones' table exists (older migrations), events may not be deleted at all.
        deletable = compaction and "consent_compactedevent" in present
        for table in existing:
            column = GUARDED_TABLES[table]
            for op in ("UPDATE", "DELETE"):
                name = _trigger_name(table, op)
                condition = f"OLD.{column} IS NOT NULL" if column else ""
                allowed = (_ALLOWED_UPDATES if op == "UPDATE" else _ALLOWED_DELETES).get(table, {})
                allowed = allowed.get(connection.vendor) if op == "UPDATE" or deletable else None
                if allowed:
                    condition = f"NOT coalesce({allowed}, false)"
                if connection.vendor == "postgresql":
                    when = f"WHEN ({condition})" if condition else ""
                    function = "consent_refuse_change"
                    if op == "DELETE" and table in _ALLOWED_DELETES and deletable:
                        function = "consent_guard_event_delete"
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW {when} "
                        f"EXECUTE FUNCTION {function}()"
                    )
                elif connection.vendor == "sqlite":
                    when = f"WHEN {condition}" if condition else ""
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW {when} "
                        f"BEGIN SELECT RAISE(ABORT, '{op} on {table} is refused: the row is immutable'); END"
                    )
            if connection.vendor == "postgresql":
                name = _trigger_name(table, "TRUNCATE")
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION consent_refuse_change()"
                )
        if tables is None:
            _install_head_guard(connection, cursor)


def _install_head_guard(connection, cursor):
    refuse_delete = "OLD.last_seq > 0"  # a subject with a chain is never deleted
    if connection.vendor == "postgresql":
        cursor.execute(_PG_HEAD_FUNCTION)
        cursor.execute(f"DROP TRIGGER IF EXISTS {_HEAD_TRIGGER} ON consent_subject")
        cursor.execute(
            f"CREATE TRIGGER {_HEAD_TRIGGER} AFTER UPDATE OF last_seq, last_hash ON consent_subject "
            f"FOR EACH ROW WHEN {_HEAD_CHANGED} EXECUTE FUNCTION consent_guard_chain_head()"
        )
        cursor.execute(f"DROP TRIGGER IF EXISTS {_SUBJECT_DELETE_TRIGGER} ON consent_subject")
        cursor.execute(
            f"CREATE TRIGGER {_SUBJECT_DELETE_TRIGGER} BEFORE DELETE ON consent_subject "
            f"FOR EACH ROW WHEN ({refuse_delete}) EXECUTE FUNCTION consent_refuse_change()"
        )
    elif connection.vendor == "sqlite":
        cursor.execute(f"DROP TRIGGER IF EXISTS {_HEAD_TRIGGER}")
        cursor.execute(
            f"CREATE TRIGGER {_HEAD_TRIGGER} AFTER UPDATE OF last_seq, last_hash ON consent_subject "  # noqa: S608  (trigger and table names are constants)
            f"FOR EACH ROW WHEN {_HEAD_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} "
            "AND (NEW.last_seq <= OLD.last_seq OR NOT EXISTS (SELECT 1 FROM consent_consentevent "
            "WHERE subject_id = NEW.id AND seq = NEW.last_seq AND hash = NEW.last_hash)) "
            "BEGIN SELECT RAISE(ABORT, 'the chain head may only move forward, onto an event that exists'); END"
        )
        cursor.execute(f"DROP TRIGGER IF EXISTS {_SUBJECT_DELETE_TRIGGER}")
        cursor.execute(
            f"CREATE TRIGGER {_SUBJECT_DELETE_TRIGGER} BEFORE DELETE ON consent_subject FOR EACH ROW "
            f"WHEN {refuse_delete} BEGIN SELECT RAISE(ABORT, 'DELETE of a subject with a chain is refused'); END"
        )


def drop_guards(connection, tables=None):
    """Remove the triggers. Only for tests that must tamper with rows or flush the database.

    Without `tables`, every guard, the chain-head guard included.
    """
    with connection.cursor() as cursor:
        if tables is None:
            drop_meaning_guards(cursor, connection.vendor)
        for table in _existing(connection, tables)[0]:
            for op in ("UPDATE", "DELETE", "TRUNCATE"):
                name = _trigger_name(table, op)
                if connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                elif connection.vendor == "sqlite":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if tables is None:
            for name in (_HEAD_TRIGGER, _SUBJECT_DELETE_TRIGGER):
                if connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON consent_subject")
                elif connection.vendor == "sqlite":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def canonical_time(value):
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(event, prev_hash):
    """SHA-256 over the event's canonical JSON, which includes the previous hash of the chain."""
    content = {
        "site": event.site_id,
        "subject": event.subject_id,
        "seq": event.seq,
        "purpose": event.purpose_id,
        "vendor": event.vendor_id,
        "decision": event.decision,
        "version": event.version,
        "policy_version": event.policy_version,
        "banner_version": event.banner_version,
        "method": event.method,
        "jurisdiction": event.jurisdiction,
        "language": event.language,
        "recorded_at": canonical_time(event.recorded_at),
        "ip": event.ip,
        "user_agent": event.user_agent,
        "receipt_id": str(event.receipt_id) if event.receipt_id else None,
        "evidence": event.evidence or {},
        "prev": prev_hash,
    }
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _string(value):
    return encode_basestring(value) if type(value) is str else _canonical(value)


def _number(value):
    """A plain int as JSON writes it, without the encoder's call; anything else through it."""
    return str(value) if type(value) is int else _canonical(value)


def event_hasher(site_id, subject_id, shared):
    """`event_hash` for a run of events that share every field but seq, purpose, vendor, decision,
    version and the previous hash (one request's events): the shared part of the canonical JSON
    is serialised once, and each event's hash splices its own fields in, byte for byte what
    `event_hash` hashes. `shared` holds the other fields as stored (policy_version,
    banner_version, method, jurisdiction, language, recorded_at, ip, user_agent, receipt_id,
    evidence). Returns hash(seq, purpose_id, vendor_id, decision, version, prev_hash).
    """
    j = _canonical
    receipt_id = shared["receipt_id"]
    head = f'{{"banner_version":{j(shared["banner_version"])},"decision":'
    middle = (
        f',"evidence":{j(shared["evidence"] or {})},"ip":{j(shared["ip"])},'
        f'"jurisdiction":{j(shared["jurisdiction"])},"language":{j(shared["language"])},'
        f'"method":{j(shared["method"])},"policy_version":{j(shared["policy_version"])},"prev":'
    )
    after_purpose = (
        f',"receipt_id":{j(str(receipt_id) if receipt_id else None)},'
        f'"recorded_at":{j(canonical_time(shared["recorded_at"]))},"seq":'
    )
    tail = f',"site":{j(site_id)},"subject":{j(subject_id)},"user_agent":{j(shared["user_agent"])},"vendor":'
    sha256 = hashlib.sha256

    def hash_(seq, purpose_id, vendor_id, decision, version, prev_hash):
        text = (
            f'{head}{_string(decision)}{middle}{_string(prev_hash)},"purpose":{_number(purpose_id)}'
            f'{after_purpose}{_number(seq)}{tail}{_number(vendor_id)},"version":{_number(version)}}}'
        )
        return sha256(text.encode()).hexdigest()

    return hash_


@dataclass
class ChainBreak:
    subject_id: int
    event_id: int | None
    seq: int | None
    reason: str

    def __str__(self):
        where = f"event {self.event_id} (subject {self.subject_id}, seq {self.seq})"
        return f"{where}: {self.reason}"


def verify_chain(site=None):
    """Recompute every subject's chain; return the first break found, or None."""
    events = ConsentEvent.objects.order_by("subject_id", "seq")
    subjects = Subject.objects.all()
    if site is not None:
        events = events.filter(site=site)
        subjects = subjects.filter(site=site)
    heads = dict(subjects.values_list("id", "last_hash"))
    counts = dict(subjects.values_list("id", "last_seq"))

    current, prev_hash, expected_seq = None, "", 1
    seen = set()
    for event in events.iterator(chunk_size=2000):
        if event.subject_id != current:
            if current is not None and heads.get(current) != prev_hash:
                return ChainBreak(current, None, None, "chain head does not match the last event")
            current, prev_hash, expected_seq = event.subject_id, "", 1
            seen.add(current)
        if event.seq != expected_seq:
            return ChainBreak(current, event.id, event.seq, f"expected seq {expected_seq}")
        if event.prev_hash != prev_hash:
            return ChainBreak(current, event.id, event.seq, "prev_hash does not link to the previous event")
        if event_hash(event, prev_hash) != event.hash:
            return ChainBreak(current, event.id, event.seq, "content does not match its hash")
        prev_hash, expected_seq = event.hash, expected_seq + 1
    if current is not None and heads.get(current) != prev_hash:
        return ChainBreak(current, None, None, "chain head does not match the last event")
    for subject_id, last_seq in counts.items():
        if last_seq and subject_id not in seen:
            return ChainBreak(subject_id, None, None, "events are missing from the chain")
    return None
