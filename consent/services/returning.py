"""A returning visitor's decision, on PostgreSQL, in one statement.

A returning visitor's events follow their subject's chain head and depend on their current
states (a denial of a granted consent is a withdrawal; each version is the last one plus one),
so the general path reads the head and states and then writes: two round trips at the least.
Here the database does both in one. The statement finds the subject by its alias, reads its head
and states, decides each event's stored decision and version, and hashes the chain itself. It
then writes the events, the states, the new head and the receipt, but only if the head is still
where it read it. The chain hash is the one `consent.ledger.event_hasher` computes: the parts a
request's events share are serialised here, by the same code, and the statement splices in what
differs per event (a decision word, hex hashes and integers, which need no escaping).
`tests/consent/test_returning_statement.py` holds the two to the same bytes and rows.

Nothing is written, and the caller takes another path, when the reference names no subject yet
(the first-decision path), when a receipt is already stored under the request's id (a replay),
or when another decision moved the head meanwhile (the locked path).
"""

import contextlib
import json

from django.db import connection, transaction

from consent.ledger import hash_text_parts
from consent.models import LegalBasis
from consent.services.chain import EVENT_COLUMNS, STATE_COLUMNS, EventDraft, shared_fields
from consent.services.receipts import receipt_body, receipt_from_row
from consent.services.sql import prepared_cursor
from consent.signals import consent_recorded, publish

# `d` is `rules.stored_decision` for what a visitor may ask (granted, denied, withdrawn): a
# denial of a granted consent is a withdrawal, a withdrawal of what was not granted a denial.
# Every write hangs off `h`, the head's move, which happens only if the head has not moved since
# `s` read it (a decision committed meanwhile: nothing is written, the caller takes the locked
# path). The receipt's body is the caller's, with the decisions the statement worked out.
_RETURNING_SQL = f"""
WITH RECURSIVE k AS (
    SELECT (SELECT subject_id FROM consent_subjectalias
            WHERE site_id = %(site)s::bigint AND value = %(value)s::text
                AND kind = ANY(string_to_array(%(kinds)s::text, ','))
            ORDER BY array_position(string_to_array(%(kinds)s::text, ','), kind::text) LIMIT 1) AS subject_id
    OFFSET 0
), old AS (
    SELECT fingerprint, body FROM consent_decisionreceipt
    WHERE site_id = %(site)s::bigint AND receipt_id = %(receipt)s::uuid
), s AS (
    SELECT s.id, s.last_seq, s.last_hash FROM k JOIN consent_subject s ON s.id = k.subject_id
    WHERE NOT EXISTS (SELECT 1 FROM old)
), v AS (
    SELECT * FROM json_to_recordset(%(rows)s::json)
        AS v(ord integer, purpose_id bigint, vendor_id bigint, requested text, consent boolean, purpose_key text,
             vendor_key text)
), d AS (
    SELECT v.ord, v.purpose_id, v.vendor_id, v.purpose_key, v.vendor_key, c.id AS state_id,
        CASE WHEN v.requested = 'granted' THEN 'granted'
             WHEN v.consent AND c.state = 'granted' THEN 'withdrawn'
             WHEN v.requested = 'withdrawn' AND c.state IS DISTINCT FROM 'granted' THEN 'denied'
             ELSE v.requested END AS decision,
        coalesce(c.version, 0) + 1 AS version
    FROM s CROSS JOIN v
    LEFT JOIN consent_consentstate c
        ON c.subject_id = s.id AND c.purpose_id = v.purpose_id AND c.vendor_id IS NOT DISTINCT FROM v.vendor_id
), ch (ord, seq, prev_hash, hash) AS (
    SELECT 0, s.last_seq, NULL::text, s.last_hash::text FROM s
    UNION ALL
    SELECT d.ord, ch.seq + 1, ch.hash::text, encode(sha256(convert_to(
        %(head)s::text || '"' || d.decision || '"' || %(middle)s::text || '"' || ch.hash || '","purpose":'
        || d.purpose_id || %(after_purpose)s::text || (ch.seq + 1) || %(before_subject)s::text || s.id
        || %(after_subject)s::text || coalesce(d.vendor_id::text, 'null') || ',"version":' || d.version || '}}',
        'UTF8')), 'hex')
    FROM ch JOIN d ON d.ord = ch.ord + 1 CROSS JOIN s
), last AS (
    SELECT seq, hash FROM ch WHERE ord > 0 ORDER BY ord DESC LIMIT 1
), h AS (
    UPDATE consent_subject SET last_seq = last.seq, last_hash = last.hash
    FROM s, last
    WHERE consent_subject.id = s.id AND consent_subject.last_seq = s.last_seq
    RETURNING consent_subject.id
), e AS (
    INSERT INTO consent_consentevent ({EVENT_COLUMNS})
    SELECT %(site)s::bigint, h.id, ch.seq, d.purpose_id, d.vendor_id, d.decision, d.version,
        %(policy_version)s::integer, %(banner_version)s::integer, %(method)s::text,
        %(jurisdiction)s::text, %(language)s::text, %(now)s::timestamptz, %(ip)s::text, %(user_agent)s::text,
        %(receipt)s::uuid, %(evidence)s::jsonb, ch.prev_hash, ch.hash
    FROM h CROSS JOIN ch JOIN d USING (ord)
    ORDER BY ch.seq
    RETURNING id, seq, purpose_id, vendor_id, decision, version, prev_hash, hash
), u AS (
    UPDATE consent_consentstate c
    SET state = e.decision, version = e.version, event_id = e.id, policy_version = %(policy_version)s::integer,
        banner_version = %(banner_version)s::integer, method = %(method)s::text, updated_at = %(now)s::timestamptz
    FROM h, e JOIN ch USING (seq) JOIN d USING (ord)
    WHERE c.id = d.state_id AND c.subject_id = h.id
), i AS (
    INSERT INTO consent_consentstate ({STATE_COLUMNS})
    SELECT h.id, e.purpose_id, e.vendor_id, e.decision, e.version, %(policy_version)s::integer,
        %(banner_version)s::integer, %(method)s::text, %(now)s::timestamptz, e.id
    FROM h, e JOIN ch USING (seq) JOIN d USING (ord)
    WHERE d.state_id IS NULL
), r AS (
    INSERT INTO consent_decisionreceipt (site_id, receipt_id, subject_id, fingerprint, body, recorded_at)
    SELECT %(site)s::bigint, %(receipt)s::uuid, h.id, %(fingerprint)s::text,
        %(body)s::jsonb
        || jsonb_build_object('decisions', coalesce(
            (SELECT jsonb_object_agg(d.purpose_key, jsonb_build_object('state', d.decision, 'version', d.version)
                                     ORDER BY d.ord)
             FROM d WHERE d.vendor_id IS NULL), '{{}}'::jsonb))
        || coalesce(
            (SELECT jsonb_build_object('vendors', jsonb_object_agg(x.vendor_key, x.decisions))
             FROM (SELECT d.vendor_key, jsonb_object_agg(
                       d.purpose_key, jsonb_build_object('state', d.decision, 'version', d.version) ORDER BY d.ord
                   ) AS decisions
                   FROM d WHERE d.vendor_id IS NOT NULL GROUP BY d.vendor_key) x
             HAVING count(*) > 0), '{{}}'::jsonb),
        %(now)s::timestamptz
    FROM h
)
SELECT (SELECT subject_id FROM k), (SELECT fingerprint FROM old), (SELECT body FROM old),
    (SELECT json_agg(json_build_array(id, seq, decision, version, prev_hash, hash) ORDER BY seq) FROM e)
"""


class Returning:
    """What the statement did: `body` when it wrote the decision; else `receipt` (a replay), or
    `subject_id` alone (the head moved: the locked path), or nothing (no such subject yet)."""

    def __init__(self, subject_id=None, receipt=None, body=None):
        self.subject_id, self.receipt, self.body = subject_id, receipt, body


def record_returning_decision(site, reference, wanted, fields, subject_label, print_):
    """Record `wanted` (purpose, vendor, requested decision) for the subject `reference` names
    (see `first_decision.first_decision_reference`) in one statement; returns a `Returning`.
    `fields`: the request's shared fields (method, recorded_at, receipt_id, versions, language,
    jurisdiction, ip, user_agent, evidence), as `chain.chain_events` takes them."""
    kinds, alias = reference
    shared = shared_fields(fields)
    now, receipt_id = shared["recorded_at"], shared["receipt_id"]
    head, middle, after_purpose, before_subject, after_subject = hash_text_parts(site.pk, shared)
    rows = [
        {
            "ord": n,
            "purpose_id": purpose.id,
            "vendor_id": vendor.id if vendor else None,
            "requested": requested,
            "consent": purpose.legal_basis == LegalBasis.CONSENT,
            "purpose_key": purpose.key,
            "vendor_key": vendor.key if vendor else None,
        }
        for n, (purpose, vendor, requested) in enumerate(wanted, start=1)
    ]
    method, versions = shared["method"], (shared["banner_version"], shared["policy_version"])
    base = receipt_body(site, receipt_id, now, subject_label, [], method, *versions)
    params = {
        "site": site.pk,
        "value": alias[1],
        "kinds": ",".join(kinds),
        "rows": json.dumps(rows, ensure_ascii=False),
        "head": head,
        "middle": middle,
        "after_purpose": after_purpose,
        "before_subject": before_subject,
        "after_subject": after_subject,
        "policy_version": shared["policy_version"],
        "banner_version": shared["banner_version"],
        "method": shared["method"],
        "jurisdiction": shared["jurisdiction"],
        "language": shared["language"],
        "now": now,
        "ip": shared["ip"],
        "user_agent": shared["user_agent"],
        "receipt": str(receipt_id),
        "evidence": json.dumps(shared["evidence"]),
        "fingerprint": print_,
        "body": json.dumps(base),
    }
    announce = consent_recorded.wanted(site)
    # As the other one-statement writes: in a transaction only when a listener wants the site's
    # changes (or as a savepoint in a caller's), else atomic on its own.
    with transaction.atomic() if announce or connection.in_atomic_block else contextlib.nullcontext():
        with prepared_cursor() as cursor:
            cursor.execute(_RETURNING_SQL, params)
            subject_id, old_print, old_body, written = cursor.fetchone()
        if subject_id is None:
            return Returning()
        if old_print is not None:
            return Returning(subject_id, receipt=receipt_from_row(old_print, old_body))
        if written is None:
            return Returning(subject_id)
        if isinstance(written, str):
            written = json.loads(written)
        events = [
            EventDraft(
                pk=pk,
                site_id=site.pk,
                subject_id=subject_id,
                seq=seq,
                purpose=purpose,
                vendor=vendor,
                decision=decision,
                version=version,
                prev_hash=prev_hash,
                hash=hash_,
                **shared,
            )
            for (pk, seq, decision, version, prev_hash, hash_), (purpose, vendor, _) in zip(
                written, wanted, strict=True
            )
        ]
        if announce:
            publish(site, subject_id, events)
    method, versions = shared["method"], (shared["banner_version"], shared["policy_version"])
    return Returning(subject_id, body=receipt_body(site, receipt_id, now, subject_label, events, method, *versions))
