"""A new visitor's first decision, on PostgreSQL, in one statement.

Most decisions are the first one a visitor ever makes: the banner's answer on a first visit.
Then the subject, its alias, the events, the current state and the receipt are all new rows:
nothing needs reading or locking. The new subject's id comes from the block `subjects` draws
ahead from its sequence, the chain is hashed here, and one statement of data-modifying CTEs
writes every row, atomically on its own: one round trip instead of ten (inside a transaction
only when a listener wants the site's changes, see `consent.signals`). Every row hangs off the
alias insert, which is skipped when the reference already names a subject, searched exactly as
`subjects.single_reference` says (or on a conflict, if another request just created them): then
nothing is written and the general path records the decision against that subject. A receipt
id used before breaks its unique constraint, and the general replay handling answers. Known
subjects, SQLite and visitor-to-user links take the general path.
"""

import contextlib
import json
from types import SimpleNamespace

from django.db import IntegrityError, connection, transaction

from consent.services.chain import EVENT_COLUMNS, STATE_COLUMNS, EventDraft, chain_events, chain_params
from consent.services.receipts import receipt_body, receipt_from_row
from consent.services.sql import fast_paths, prepared_cursor
from consent.services.subjects import single_reference, subject_ids
from consent.signals import consent_recorded, publish

# What a returning visitor's decision needs to know, in one read: the subject the reference
# names (the first kind searched wins, as in `find_subject`), its chain head and current states
# (one snapshot, so they agree: `chain.append_if_unchanged` writes on them if the head has not
# moved since) and the receipt already stored under the request's id, if any (a replay).
# OFFSET 0 keeps the alias look-up one sub-plan instead of one per use of its result.
_KNOWN_SQL = """
    SELECT k.subject_id, r.fingerprint, r.body, s.last_seq, s.last_hash, st.states
    FROM (
        SELECT (SELECT subject_id FROM consent_subjectalias
                WHERE site_id = %(site)s::bigint AND value = %(value)s::text
                    AND kind = ANY(string_to_array(%(kinds)s::text, ','))
                ORDER BY array_position(string_to_array(%(kinds)s::text, ','), kind::text) LIMIT 1) AS subject_id
        OFFSET 0
    ) k
    LEFT JOIN consent_subject s ON s.id = k.subject_id
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_array(c.id, c.purpose_id, c.vendor_id, c.state, c.version)) AS states
        FROM consent_consentstate c WHERE c.subject_id = k.subject_id
    ) st ON true
    LEFT JOIN consent_decisionreceipt r ON r.site_id = %(site)s::bigint AND r.receipt_id = %(receipt)s::uuid
"""

_WRITE_FIRST_SQL = f"""
WITH a AS (
    INSERT INTO consent_subjectalias (site_id, subject_id, kind, value, created_at)
    SELECT %(site)s::bigint, %(subject)s::bigint, %(kind)s::text, %(value)s::text, %(now)s::timestamptz
    WHERE NOT EXISTS (
        SELECT 1 FROM consent_subjectalias
        WHERE site_id = %(site)s::bigint AND value = %(value)s::text
            AND kind = ANY(string_to_array(%(kinds)s::text, ','))
    )
    ON CONFLICT DO NOTHING
    RETURNING subject_id
), s AS (
    INSERT INTO consent_subject (id, site_id, email, birth_year, created_at, erased_at, last_seq, last_hash)
    SELECT subject_id, %(site)s::bigint, '', %(birth_year)s::smallint, %(now)s::timestamptz, NULL,
        %(last_seq)s::integer, %(last_hash)s::text
    FROM a
), e AS (
    INSERT INTO consent_consentevent ({EVENT_COLUMNS})
    SELECT %(site)s::bigint, a.subject_id, v.seq, v.purpose_id, v.vendor_id, v.decision, 1,
        %(policy_version)s::integer, %(banner_version)s::integer, %(method)s::text,
        %(jurisdiction)s::text, %(language)s::text, %(now)s::timestamptz, %(ip)s::text, %(user_agent)s::text,
        %(receipt)s::uuid, %(evidence)s::jsonb, v.prev_hash, v.hash
    FROM a, json_to_recordset(%(rows)s::json)
        AS v(seq integer, purpose_id bigint, vendor_id bigint, decision text, prev_hash text, hash text)
    RETURNING id, subject_id, purpose_id, vendor_id, decision
), st AS (
    INSERT INTO consent_consentstate ({STATE_COLUMNS})
    SELECT subject_id, purpose_id, vendor_id, decision, 1, %(policy_version)s::integer,
        %(banner_version)s::integer, %(method)s::text, %(now)s::timestamptz, id
    FROM e
), r AS (
    INSERT INTO consent_decisionreceipt (site_id, receipt_id, subject_id, fingerprint, body, recorded_at)
    SELECT %(site)s::bigint, %(receipt)s::uuid, subject_id, %(fingerprint)s::text, %(body)s::jsonb,
        %(now)s::timestamptz
    FROM a
)
SELECT (SELECT count(*) FROM e), k.* FROM ({_KNOWN_SQL}) k
"""


# Aliases this process has seen with a subject: their next decisions go straight to the general
# path instead of trying the first-decision statement in vain. Only a hint: a stale entry just
# sends a request down the general path, which is always right. Bounded by clearing it.
known_aliases = set()
KNOWN_ALIASES_MAX = 50_000


def remember_alias(site, alias):
    if len(known_aliases) >= KNOWN_ALIASES_MAX:
        known_aliases.clear()
    known_aliases.add((site.pk, *alias))


def first_decision_reference(site, visitor_id, user_id, ref):
    """(kinds searched, the one alias a new subject would get), if this request may take the
    first-decision path; the same resolution as `resolve_subject` (see `single_reference`)."""
    if not fast_paths():
        return None
    single = single_reference(visitor_id, user_id, ref)
    if single is None or ref is None and (user_id is not None or not visitor_id):
        return None  # a signed-in user (subject token) or no reference at all: the general path
    return single


def is_known(site, reference):
    return (site.pk, *reference[1]) in known_aliases


class KnownState(SimpleNamespace):
    """A current state as the chain writer needs it: its row id, decision and version."""


class Known:
    """A returning visitor found in one read: their subject id (None if the reference names none,
    e.g. an alias being created by a concurrent request), the receipt stored under the request's
    id (None, or a `DecisionReceipt` with fingerprint and body, for a replay), and the subject's
    chain head (last seq, last hash) with its current states by (purpose id, vendor id), read in
    the same snapshot."""

    def __init__(self, subject_id, fingerprint, body, last_seq, last_hash, states):
        self.subject_id = subject_id
        self.receipt = None if fingerprint is None else receipt_from_row(fingerprint, body)
        self.head = None if last_seq is None else (last_seq, last_hash)
        if isinstance(states, str):
            states = json.loads(states)
        self.states = {
            (purpose_id, vendor_id): KnownState(pk=pk, state=state, version=version)
            for pk, purpose_id, vendor_id, state, version in states or ()
        }


def probe_known(site, reference, receipt_id):
    """For an alias this process has seen with a subject: its subject and any stored receipt,
    in one round trip instead of the general path's receipt read and alias look-up."""
    kinds, alias = reference
    params = {"site": site.pk, "value": alias[1], "kinds": ",".join(kinds), "receipt": str(receipt_id)}
    with prepared_cursor() as cursor:
        cursor.execute(_KNOWN_SQL, params)
        return Known(*cursor.fetchone())


def record_first_decision(site, reference, wanted, fields, subject_label, print_, birth_year=None):
    """Record a decision as a new subject's first, in one statement. Returns the receipt body;
    or, when the alias already has a subject, what `probe_known` returns (the statement reads it
    in the same round trip), for the general path; or None when the receipt id was used before
    or the write lost a race (general path from the start)."""
    kinds, alias = reference
    subject_id = subject_ids.take()
    events = chain_events(site, subject_id, wanted, {}, 0, "", make=EventDraft, **fields)
    now, receipt_id = fields["recorded_at"], fields["receipt_id"]
    body = receipt_body(
        site,
        receipt_id,
        now,
        subject_label,
        events,
        fields["method"],
        fields["banner_version"],
        fields["policy_version"],
    )
    params = {
        **chain_params(events),
        "site": site.pk,
        "subject": subject_id,
        "kind": alias[0],
        "value": alias[1],
        "kinds": ",".join(kinds),
        "birth_year": birth_year,
        "fingerprint": print_,
        "body": json.dumps(body),
    }
    failed = None
    announce = consent_recorded.wanted(site)
    try:
        # When a listener wants this site's changes, the rows and what it writes commit together
        # in one transaction; else the statement is atomic on its own. Inside a caller's
        # transaction a savepoint keeps a failed statement from aborting it.
        with transaction.atomic() if announce or connection.in_atomic_block else contextlib.nullcontext():
            try:
                with prepared_cursor() as cursor:
                    cursor.execute(_WRITE_FIRST_SQL, params)
                    written, *known = cursor.fetchone()
            except IntegrityError as exc:
                failed = exc
                raise
            if written and announce:
                publish(site, subject_id, events)
    except IntegrityError as exc:
        if exc is not failed:
            raise  # a listener's error is not the statement's
        # A receipt id used before, or (after a sequence reset) a subject id taken: either
        # way the general path knows what to answer. Only in the second case is the block stale.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        if constraint == "consent_subject_pkey":
            subject_ids.forget()
        else:
            subject_ids.give_back(subject_id)
        return None
    if not written:
        subject_ids.give_back(subject_id)
        return Known(*known) if known[0] is not None else None
    return body
