"""The chain writer: each subject's events, numbered and hash-chained, and the current states
they move, written under a lock on the subject's chain head.

The one-statement writes (here for a known subject, in `first_decision` for a new one) insert
raw SQL; their column lists sit here, next to the statements, and a test compares them with
the models.
"""

import contextlib
import json
from types import SimpleNamespace

from django.db import connection, transaction

from consent.ledger import event_hasher
from consent.models import ConsentEvent, ConsentState, Subject
from consent.rules import stored_decision
from consent.services.sql import fast_paths, insert_rows, prepared_cursor
from consent.signals import consent_recorded, publish


class EventDraft(SimpleNamespace):
    """An event's fields without a model instance (building one costs more than hashing it): the
    one-statement writes of a new visitor's and a returning visitor's decision write them."""

    @property
    def purpose_id(self):
        return self.purpose.id

    @property
    def vendor_id(self):
        return self.vendor.id if self.vendor else None


def chain_events(site, subject_id, items, states, seq, prev_hash, make=ConsentEvent, **fields):
    """The unsaved events for `items`, numbered after `seq` and hash-chained after `prev_hash`.

    `make` builds each event: the model, or a plain namespace where no model instance is needed.
    The fields every event of the request shares are stored (and hashed) once.
    """
    shared = {
        "policy_version": fields["policy_version"],
        "banner_version": fields["banner_version"],
        "method": fields["method"],
        "jurisdiction": (fields["jurisdiction"] or "")[:8],
        "language": (fields["language"] or "")[:16],
        "recorded_at": fields["recorded_at"],
        "ip": fields["ip"],
        "user_agent": (fields["user_agent"] or "")[:512],
        "receipt_id": fields["receipt_id"],
        "evidence": fields["evidence"] or {},
    }
    hash_ = event_hasher(site.id, subject_id, shared)
    events = []
    for purpose, vendor, requested in items:
        vendor_id = vendor.id if vendor else None
        state = states.get((purpose.id, vendor_id))
        seq += 1
        decision = stored_decision(purpose, requested, state.state if state else None)
        version = (state.version + 1) if state else 1
        event = make(
            site_id=site.id,
            subject_id=subject_id,
            seq=seq,
            purpose=purpose,
            vendor=vendor,
            decision=decision,
            version=version,
            prev_hash=prev_hash,
            **shared,
        )
        event.hash = prev_hash = hash_(seq, purpose.id, vendor_id, decision, version, prev_hash)
        events.append(event)
    return events


_UPDATE_STATE_SQL = (
    "UPDATE consent_consentstate SET state = %s, version = %s, event_id = %s, policy_version = %s, "
    "banner_version = %s, method = %s, updated_at = %s WHERE id = %s"
)


def _lock_chain(subject_id):
    """Lock a subject's chain head, then read the subject's current states.

    Two statements on purpose: under READ COMMITTED a joined read would see the states as they
    were before the lock was granted, and a concurrent decision's versions would be lost.
    Returns (last seq, last hash, {(purpose id, vendor id): ConsentState}).
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_seq, last_hash FROM consent_subject WHERE id = %s{lock}", [subject_id])
        head = cursor.fetchone()
        if head is None:
            raise Subject.DoesNotExist(f"No subject {subject_id}.")
        cursor.execute(
            "SELECT id, purpose_id, vendor_id, state, version FROM consent_consentstate WHERE subject_id = %s",
            [subject_id],
        )
        states = {
            (purpose_id, vendor_id): ConsentState(
                id=pk, subject_id=subject_id, purpose_id=purpose_id, vendor_id=vendor_id, state=state, version=version
            )
            for pk, purpose_id, vendor_id, state, version in cursor.fetchall()
        }
    return head[0], head[1], states


# Column lists the two one-statement writes (a known subject's chain, a new visitor's first
# decision) both insert, in the order their SELECTs give the values.
EVENT_COLUMNS = (
    "site_id, subject_id, seq, purpose_id, vendor_id, decision, version, policy_version, banner_version, "
    "method, jurisdiction, language, recorded_at, ip, user_agent, receipt_id, evidence, prev_hash, hash"
)
STATE_COLUMNS = (
    "subject_id, purpose_id, vendor_id, state, version, policy_version, banner_version, method, updated_at, event_id"
)

# Every row hangs off the head's move (`h`), which happens only while the head is still where the
# events were chained from: under the lock that is always so; for a subject read without a lock
# (`append_if_unchanged`) a decision committed meanwhile makes the statement write nothing.
# The states to update are found through the subject's index: the planner guesses 100 rows for
# `json_to_recordset`, and joining on the state ids alone made it scan every state.
_WRITE_CHAIN_SQL = f"""
WITH h AS (
    UPDATE consent_subject SET last_seq = %(last_seq)s::integer, last_hash = %(last_hash)s::text
    WHERE id = %(subject)s::bigint AND last_seq = %(prev_seq)s::integer
    RETURNING id
), v AS (
    SELECT v.* FROM h, json_to_recordset(%(rows)s::json)
        AS v(seq integer, purpose_id bigint, vendor_id bigint, decision text, version integer, prev_hash text,
             hash text, state_id bigint)
), e AS (
    INSERT INTO consent_consentevent ({EVENT_COLUMNS})
    SELECT %(site)s::bigint, %(subject)s::bigint, v.seq, v.purpose_id, v.vendor_id, v.decision, v.version,
        %(policy_version)s::integer, %(banner_version)s::integer, %(method)s::text,
        %(jurisdiction)s::text, %(language)s::text, %(now)s::timestamptz, %(ip)s::text, %(user_agent)s::text,
        %(receipt)s::uuid, %(evidence)s::jsonb, v.prev_hash, v.hash
    FROM v ORDER BY v.seq
    RETURNING id, seq
), u AS (
    UPDATE consent_consentstate s
    SET state = v.decision, version = v.version, event_id = e.id, policy_version = %(policy_version)s::integer,
        banner_version = %(banner_version)s::integer, method = %(method)s::text, updated_at = %(now)s::timestamptz
    FROM e JOIN v USING (seq)
    WHERE s.id = v.state_id AND s.subject_id = %(subject)s::bigint
), i AS (
    INSERT INTO consent_consentstate ({STATE_COLUMNS})
    SELECT %(subject)s::bigint, v.purpose_id, v.vendor_id, v.decision, v.version, %(policy_version)s::integer,
        %(banner_version)s::integer, %(method)s::text, %(now)s::timestamptz, e.id
    FROM e JOIN v USING (seq)
    WHERE v.state_id IS NULL
), r AS (
    INSERT INTO consent_decisionreceipt (site_id, receipt_id, subject_id, fingerprint, body, recorded_at)
    SELECT %(site)s::bigint, %(receipt)s::uuid, %(subject)s::bigint, %(fingerprint)s::text, %(body)s::jsonb,
        %(now)s::timestamptz
    FROM h WHERE %(fingerprint)s::text IS NOT NULL
)
SELECT id, seq FROM e
"""


class ReceiptDraft:
    """A decision's receipt, written by the chain's one statement on PostgreSQL (one round trip
    fewer) or by the caller after `append_events` elsewhere. `body_for(events)` builds its body."""

    def __init__(self, fingerprint, body_for):
        self.fingerprint, self.body_for = fingerprint, body_for
        self.body, self.written = None, False


def chain_params(events, state_ids=None):
    """Parameters of the one-statement writes for a run of new events of one subject: the fields
    they share (one request made them all), the new head, and the fields that differ per event
    as one JSON text of rows (`json_to_recordset` in the statement): one parameter for the
    driver to quote instead of an array per field, whose elements it adapts one by one."""
    first, last = events[0], events[-1]
    rows = [
        {
            "seq": e.seq,
            "purpose_id": e.purpose_id,
            "vendor_id": e.vendor_id,
            "decision": e.decision,
            "version": e.version,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in events
    ]
    if state_ids is not None:
        for row, state_id in zip(rows, state_ids, strict=True):
            row["state_id"] = state_id
    return {
        "policy_version": first.policy_version,
        "banner_version": first.banner_version,
        "method": first.method,
        "jurisdiction": first.jurisdiction,
        "language": first.language,
        "now": first.recorded_at,
        "ip": first.ip,
        "user_agent": first.user_agent,
        "receipt": str(first.receipt_id) if first.receipt_id else None,
        "evidence": json.dumps(first.evidence),
        "rows": json.dumps(rows, ensure_ascii=False),
        "last_seq": last.seq,
        "last_hash": last.hash,
    }


def _write_chain(site, subject_id, events, states, receipt=None):
    """PostgreSQL: the events, the states they move, the subject's chain head and the receipt
    (if any) in one statement. False, with nothing written, if the head is no longer where the
    events were chained from.

    Which states exist is known from `states`, so each event either updates its state row or
    creates it: the states must have been read with the head (under its lock, or in the same
    snapshot as it).
    """
    state_ids = [getattr(states.get((e.purpose_id, e.vendor_id)), "pk", None) for e in events]
    params = {
        **chain_params(events, state_ids),
        "site": site.pk,
        "subject": subject_id,
        "prev_seq": events[0].seq - 1,
        "fingerprint": None,
        "body": None,
    }
    if receipt is not None:
        receipt.body = receipt.body_for(events)
        params["fingerprint"], params["body"] = receipt.fingerprint, json.dumps(receipt.body)
    with prepared_cursor() as cursor:
        cursor.execute(_WRITE_CHAIN_SQL, params)
        ids = dict((seq, pk) for pk, seq in cursor.fetchall())
    if not ids:
        return False
    if receipt is not None:
        receipt.written = True
    for event in events:
        event.pk = ids[event.seq]
        if isinstance(event, ConsentEvent):
            event._state.adding = False
            event._state.db = connection.alias
    return True


def append_if_unchanged(site, subject_id, items, head, states, *, receipt, **fields):
    """PostgreSQL: a known subject's decision without locking its chain. `head` (last seq, last
    hash) and `states` were read together in one snapshot, before this; the one statement writes
    the events only if the head has not moved since, which it checks under the row's lock.
    Returns the events, or None when another decision came first (the caller then takes the
    locked path). Two round trips in all for a returning visitor instead of six: no BEGIN, lock,
    states read and COMMIT of their own (inside a transaction only when a listener wants the
    site's changes, or in a caller's, as a savepoint).
    """
    events = chain_events(site, subject_id, items, states, *head, make=EventDraft, **fields)
    if not events:
        return None
    announce = consent_recorded.wanted(site)
    with transaction.atomic() if announce or connection.in_atomic_block else contextlib.nullcontext():
        if not _write_chain(site, subject_id, events, states, receipt):
            return None
        if announce:
            publish(site, subject_id, events)
    return events


def _state_values(state):
    field = ConsentState._meta.get_field("updated_at")
    return [
        state.state,
        state.version,
        state.event_id,
        state.policy_version,
        state.banner_version,
        state.method,
        field.get_db_prep_value(state.updated_at, connection),
        state.pk,
    ]


def append_events(
    site,
    subject_id,
    items,
    *,
    method,
    recorded_at,
    receipt_id=None,
    policy_version=None,
    banner_version=None,
    language="",
    jurisdiction="",
    ip="",
    user_agent="",
    evidence=None,
    new_subject=False,
    receipt=None,
):
    """Append events for one subject and move its current state, in the caller's transaction.

    `items` is a list of (purpose, vendor or None, requested decision). Returns the events.
    `new_subject`: the subject was created in this same transaction, so it has no chain and no
    state yet and no other transaction can see it; the lock and the reads are skipped.
    `receipt`: a `ReceiptDraft` the fast path writes in the same statement (see its `written`).
    """
    if new_subject:
        seq, prev_hash, states = 0, "", {}
    else:
        seq, prev_hash, states = _lock_chain(subject_id)
    events = chain_events(
        site,
        subject_id,
        items,
        states,
        seq,
        prev_hash,
        method=method,
        recorded_at=recorded_at,
        receipt_id=receipt_id,
        policy_version=policy_version,
        banner_version=banner_version,
        language=language,
        jurisdiction=jurisdiction,
        ip=ip,
        user_agent=user_agent,
        evidence=evidence,
    )
    if events and fast_paths():
        if not _write_chain(site, subject_id, events, states, receipt):
            raise RuntimeError(f"chain head of subject {subject_id} moved while locked")
        publish(site, subject_id, events)
        return events
    if events:
        seq, prev_hash = events[-1].seq, events[-1].hash
    changed, created = [], []
    insert_rows(events)
    for event in events:
        key = (event.purpose_id, event.vendor_id)
        state = states.get(key)
        if state is None:
            state = ConsentState(subject_id=subject_id, purpose_id=event.purpose_id, vendor_id=event.vendor_id)
            states[key] = state
            created.append(state)
        elif state not in changed and state not in created:
            changed.append(state)
        state.state, state.version, state.event = event.decision, event.version, event
        state.policy_version, state.banner_version = event.policy_version, event.banner_version
        state.method, state.updated_at = event.method, event.recorded_at
    if created:
        insert_rows(created)
    with connection.cursor() as cursor:
        if changed:
            cursor.executemany(_UPDATE_STATE_SQL, [_state_values(state) for state in changed])
        cursor.execute(
            "UPDATE consent_subject SET last_seq = %s, last_hash = %s WHERE id = %s", [seq, prev_hash, subject_id]
        )
    publish(site, subject_id, events)
    return events
