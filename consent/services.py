"""Writes to the consent ledger. Views, the API, the admin and commands all come through here."""

import contextlib
import hashlib
import hmac
import ipaddress
import json
import threading
import uuid
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from consent.exceptions import Conflict, ConsentError
from consent.ledger import canonical_time, event_hash
from consent.models import (
    AliasKind,
    AuditEvent,
    ConsentEvent,
    ConsentState,
    Decision,
    DecisionReceipt,
    IpHandling,
    LegalBasis,
    Method,
    Purpose,
    Subject,
    SubjectAlias,
    Vendor,
)
from consent.webhooks import has_webhooks, queue_changes

# What a caller may ask for; "withdrawn" is also derived from denying a granted consent.
REQUESTABLE_DECISIONS = (Decision.GRANTED, Decision.DENIED, Decision.WITHDRAWN)
MAX_REF_LENGTH = 128


# --- small helpers -------------------------------------------------------------------------


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


def _insert_rows(objs, *, skip_conflicts=False):
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


def minimise_ip(site, ip):
    """Store IPs truncated (IPv4 /24, IPv6 /48), keyed-hashed, or not at all, per site."""
    if not ip or site.ip_handling == IpHandling.NONE:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    truncated = str(network.network_address)
    if site.ip_handling == IpHandling.HASHED:
        return hmac.new(site.secret.encode(), truncated.encode(), hashlib.sha256).hexdigest()[:32]
    return truncated


def record_audit(*, action, site=None, actor=None, actor_label=None, subject=None, obj=None, data=None, now=None):
    """Append one entry to the audit trail."""
    label = actor_label or (actor.get_username() if actor is not None else "system")
    return AuditEvent.objects.create(
        site=site,
        actor=actor,
        actor_label=label[:150],
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        subject=subject,
        data=data or {},
        created_at=now or timezone.now(),
    )


# --- subjects ------------------------------------------------------------------------------


_FIND_ALIAS_SQL = {}

# How each kind of reference is looked up: the alias kinds searched, the first found winning.
# A server-side ref may name a site user or a banner visitor (user ids win); a visitor id from
# the banner and a user id from a subject token each name only their own kind.
REF_KINDS = (AliasKind.USER, AliasKind.VISITOR)
VISITOR_KINDS = (AliasKind.VISITOR,)
USER_KINDS = (AliasKind.USER,)


def single_reference(visitor_id=None, user_id=None, ref=None):
    """(kinds searched, alias a new subject gets) for a request naming one reference, else None.

    The one rule every path uses to turn a reference into a subject: the general path
    (`resolve_subject`) and the one-statement first decision on PostgreSQL both search the
    same kinds, so the same reference can never name two subjects depending on the path.
    A visitor id with a user id is a link (`resolve_subject` handles it): None.
    """
    if ref is not None:
        return REF_KINDS, (AliasKind.USER, ref)
    if user_id is None:
        return VISITOR_KINDS, (AliasKind.VISITOR, visitor_id)
    if not visitor_id:
        return USER_KINDS, (AliasKind.USER, user_id)
    return None


def find_subject(site, ref, *, kinds=REF_KINDS):
    """The subject a site refers to by its user id or a visitor id (user ids win), or None."""
    kinds = tuple(kinds)
    sql = _FIND_ALIAS_SQL.get(len(kinds))
    if sql is None:  # plain SQL: this runs on every banner decision
        sql = _FIND_ALIAS_SQL[len(kinds)] = (
            "SELECT kind, subject_id FROM consent_subjectalias WHERE site_id = %s AND value = %s AND kind IN ("
            + ", ".join(["%s"] * len(kinds))
            + ")"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [getattr(site, "pk", site), ref, *kinds])
        aliases = dict(cursor.fetchall())
    for kind in kinds:
        if kind in aliases:
            return aliases[kind]
    return None


def _create_subject(site, aliases, email="", *, with_flag=False):
    """Create a subject with its aliases; on a race with another request, return the winner.

    With `with_flag`, returns (subject id, created) so a caller knows the subject is new.
    """
    if connection.features.can_return_rows_from_bulk_insert:
        # No savepoint: the aliases skip conflicts, and a lost race undoes its own new rows.
        # On PostgreSQL the id comes from the same block as the first-decision statement's: one
        # way to number new subjects, whichever path writes them.
        taken = _subject_ids.take() if connection.vendor == "postgresql" else None
        subject = _insert_rows([Subject(id=taken, site=site, email=email or "")])[0]
        rows = [SubjectAlias(site=site, subject=subject, kind=kind, value=value) for kind, value in aliases]
        if _insert_rows(rows, skip_conflicts=True):
            return (subject.pk, True) if with_flag else subject.pk
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM consent_subjectalias WHERE subject_id = %s", [subject.pk])
            cursor.execute("DELETE FROM consent_subject WHERE id = %s", [subject.pk])
        if taken is not None:
            _subject_ids.give_back(taken)
    else:
        try:
            with transaction.atomic():
                subject = _insert_rows([Subject(site=site, email=email or "")])[0]
                _insert_rows(
                    [SubjectAlias(site=site, subject=subject, kind=kind, value=value) for kind, value in aliases]
                )
                return (subject.pk, True) if with_flag else subject.pk
        except IntegrityError:
            pass
    for kind, value in aliases:
        found = find_subject(site, value, kinds=(kind,))
        if found:
            return (found, False) if with_flag else found
    raise IntegrityError("The subject's aliases belong to different subjects.")


def _attach_alias(site, subject_id, kind, value):
    """Point an alias at a subject (moving a visitor id to the user who just signed in)."""
    updated = SubjectAlias.objects.filter(site=site, kind=kind, value=value).exclude(subject_id=subject_id)
    if updated.update(subject_id=subject_id):
        return
    if not SubjectAlias.objects.filter(site=site, kind=kind, value=value).exists():
        try:
            with transaction.atomic():
                SubjectAlias.objects.create(site=site, subject_id=subject_id, kind=kind, value=value)
        except IntegrityError:
            SubjectAlias.objects.filter(site=site, kind=kind, value=value).update(subject_id=subject_id)


def resolve_subject(site, *, visitor_id=None, user_id=None, ref=None, create=True, email="", with_flag=False):
    """Find (or create) the subject for a request and link a visitor to a known user.

    `ref` is a server-side reference: a site user id or a visitor id; unknown refs become users.
    With `with_flag`, returns (subject id, created by this call).
    """
    found, created = _resolve_subject(site, visitor_id, user_id, ref, create, email)
    return (found, created) if with_flag else found


def _resolve_subject(site, visitor_id, user_id, ref, create, email):
    single = single_reference(visitor_id, user_id, ref)
    if single is not None:
        kinds, alias = single
        found = find_subject(site, alias[1], kinds=kinds)
        if found or not create:
            return found, False
        return _create_subject(site, [alias], email, with_flag=True)
    # A visitor signing in as a user: the user's subject wins and the visitor id moves to it.
    found = find_subject(site, user_id, kinds=USER_KINDS)
    if found is None:
        found = find_subject(site, visitor_id, kinds=VISITOR_KINDS)
        if found:
            _attach_alias(site, found, AliasKind.USER, user_id)
    if found is None:
        if not create:
            return None, False
        aliases = [(AliasKind.USER, user_id), (AliasKind.VISITOR, visitor_id)]
        return _create_subject(site, aliases, email, with_flag=True)
    _attach_alias(site, found, AliasKind.VISITOR, visitor_id)
    return found, False


# --- decisions -----------------------------------------------------------------------------


def _site_catalogue(site):
    purposes = {p.key: p for p in Purpose.objects.filter(site=site)}
    vendors = {v.key: v for v in Vendor.objects.filter(site=site).prefetch_related("purposes")}
    return purposes, vendors


def _validate(site, decisions, vendors, method, allowed_methods, catalogue=None):
    """Turn the request into a list of (purpose, vendor, requested decision); raise on bad input.

    `catalogue` is an optional (purposes by key, vendors by key) pair the caller already holds
    (the API caches it per process), saving the queries on the hot path.
    """
    purposes, known_vendors = catalogue if catalogue is not None else _site_catalogue(site)
    errors = {}
    wanted = []
    if method not in Method.values or (allowed_methods is not None and method not in allowed_methods):
        choices = ", ".join(allowed_methods if allowed_methods is not None else Method.values)
        errors["method"] = [f"Unknown method {method!r}; expected one of: {choices}."]
    if not isinstance(decisions, dict):
        errors["decisions"] = ["Expected an object of purpose key to decision."]
        decisions = {}
    if not isinstance(vendors, dict):
        errors["vendors"] = ["Expected an object of vendor key to decision."]
        vendors = {}
    if not decisions and not vendors:
        errors["decisions"] = ["At least one decision is required."]
    for key, value in decisions.items():
        field = f"decisions.{key}"
        purpose = purposes.get(key)
        if purpose is None:
            errors[field] = [f"Unknown purpose {key!r} for site {site.key!r}."]
        elif value not in REQUESTABLE_DECISIONS:
            errors[field] = [f"Expected one of: {', '.join(REQUESTABLE_DECISIONS)}."]
        elif purpose.always_allowed:
            if value != Decision.GRANTED:
                errors[field] = [f"Purpose {key!r} is essential ({purpose.legal_basis}) and cannot be refused."]
            # Always-on purposes need no record: nothing was asked.
        else:
            wanted.append((purpose, None, value))
    for key, value in vendors.items():
        field = f"vendors.{key}"
        vendor = known_vendors.get(key)
        if vendor is None:
            errors[field] = [f"Unknown vendor {key!r} for site {site.key!r}."]
            continue
        vendor_purposes = {p.key: p for p in vendor.purposes.all() if not p.always_allowed}
        if isinstance(value, str):
            value = {purpose_key: value for purpose_key in vendor_purposes}
        if not isinstance(value, dict) or not value:
            errors[field] = ["Expected a decision, or an object of purpose key to decision."]
            continue
        for purpose_key, decision in value.items():
            if purpose_key not in vendor_purposes:
                errors[f"{field}.{purpose_key}"] = [f"Vendor {key!r} is not used for purpose {purpose_key!r}."]
            elif decision not in REQUESTABLE_DECISIONS:
                errors[f"{field}.{purpose_key}"] = [f"Expected one of: {', '.join(REQUESTABLE_DECISIONS)}."]
            else:
                wanted.append((vendor_purposes[purpose_key], vendor, decision))
    if errors:
        code = "decision.invalid"
        if any(k.startswith("decisions.") and "Unknown purpose" in v[0] for k, v in errors.items()):
            code = "decision.unknown_purpose"
        elif "method" in errors:
            code = "decision.unknown_method"
        raise ConsentError(code, "The decision could not be recorded.", errors)
    return wanted


def _stored_decision(purpose, requested, previous):
    """Denying a consent that was granted is a withdrawal; for legitimate interest, an objection."""
    if requested == Decision.EXPIRED:  # only recorded by the platform (expire_consents)
        return Decision.EXPIRED
    if requested == Decision.GRANTED:
        return Decision.GRANTED
    if purpose.legal_basis == LegalBasis.CONSENT and previous == Decision.GRANTED:
        return Decision.WITHDRAWN
    if requested == Decision.WITHDRAWN and previous != Decision.GRANTED:
        return Decision.DENIED
    return requested


def fingerprint(payload):
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _chain_events(site, subject_id, items, states, seq, prev_hash, make=ConsentEvent, **fields):
    """The unsaved events for `items`, numbered after `seq` and hash-chained after `prev_hash`.

    `make` builds each event: the model, or a plain namespace where no model instance is needed.
    """
    events = []
    for purpose, vendor, requested in items:
        state = states.get((purpose.id, vendor.id if vendor else None))
        seq += 1
        event = make(
            site_id=site.id,
            subject_id=subject_id,
            seq=seq,
            purpose=purpose,
            vendor=vendor,
            decision=_stored_decision(purpose, requested, state.state if state else None),
            version=(state.version + 1) if state else 1,
            policy_version=fields["policy_version"],
            banner_version=fields["banner_version"],
            method=fields["method"],
            jurisdiction=(fields["jurisdiction"] or "")[:8],
            language=(fields["language"] or "")[:16],
            recorded_at=fields["recorded_at"],
            ip=fields["ip"],
            user_agent=(fields["user_agent"] or "")[:512],
            receipt_id=fields["receipt_id"],
            evidence=fields["evidence"] or {},
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = event_hash(event, prev_hash)
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
_EVENT_COLUMNS = (
    "site_id, subject_id, seq, purpose_id, vendor_id, decision, version, policy_version, banner_version, "
    "method, jurisdiction, language, recorded_at, ip, user_agent, receipt_id, evidence, prev_hash, hash"
)
_STATE_COLUMNS = (
    "subject_id, purpose_id, vendor_id, state, version, policy_version, banner_version, method, updated_at, event_id"
)

_WRITE_CHAIN_SQL = f"""
WITH v AS (
    SELECT * FROM unnest(%(seqs)s::integer[], %(purposes)s::bigint[], %(vendors)s::bigint[], %(decisions)s::text[],
                         %(versions)s::integer[], %(prev_hashes)s::text[], %(hashes)s::text[], %(state_ids)s::bigint[])
        AS v(seq, purpose_id, vendor_id, decision, version, prev_hash, hash, state_id)
), e AS (
    INSERT INTO consent_consentevent ({_EVENT_COLUMNS})
    SELECT %(site)s, %(subject)s, v.seq, v.purpose_id, v.vendor_id, v.decision, v.version,
        %(policy_version)s::integer, %(banner_version)s::integer, %(method)s, %(jurisdiction)s, %(language)s,
        %(now)s, %(ip)s, %(user_agent)s, %(receipt)s::uuid, %(evidence)s::jsonb, v.prev_hash, v.hash
    FROM v ORDER BY v.seq
    RETURNING id, seq
), u AS (
    UPDATE consent_consentstate s
    SET state = v.decision, version = v.version, event_id = e.id, policy_version = %(policy_version)s::integer,
        banner_version = %(banner_version)s::integer, method = %(method)s, updated_at = %(now)s
    FROM e JOIN v USING (seq)
    WHERE s.id = v.state_id
), i AS (
    INSERT INTO consent_consentstate ({_STATE_COLUMNS})
    SELECT %(subject)s, v.purpose_id, v.vendor_id, v.decision, v.version, %(policy_version)s::integer,
        %(banner_version)s::integer, %(method)s, %(now)s, e.id
    FROM e JOIN v USING (seq)
    WHERE v.state_id IS NULL
), h AS (
    UPDATE consent_subject SET last_seq = %(last_seq)s, last_hash = %(last_hash)s WHERE id = %(subject)s
)
SELECT id, seq FROM e
"""


def _chain_params(events):
    """Parameters of the one-statement writes for a run of new events of one subject: the fields
    they share (one request made them all), one array per field that differs, the new head."""
    first, last = events[0], events[-1]
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
        "seqs": [e.seq for e in events],
        "purposes": [e.purpose_id for e in events],
        "vendors": [e.vendor_id for e in events],
        "decisions": [e.decision for e in events],
        "versions": [e.version for e in events],
        "prev_hashes": [e.prev_hash for e in events],
        "hashes": [e.hash for e in events],
        "last_seq": last.seq,
        "last_hash": last.hash,
    }


def _write_chain(site, subject_id, events, states):
    """PostgreSQL: the events, the states they move and the subject's chain head in one statement.

    Inside the caller's transaction, with the subject locked (or new): which states exist is
    known from `states`, so each event either updates its state row or creates it.
    """
    params = {
        **_chain_params(events),
        "site": site.pk,
        "subject": subject_id,
        "state_ids": [getattr(states.get((e.purpose_id, e.vendor_id)), "pk", None) for e in events],
    }
    with connection.cursor() as cursor:
        cursor.execute(_WRITE_CHAIN_SQL, params)
        ids = dict((seq, pk) for pk, seq in cursor.fetchall())
    for event in events:
        event.pk = ids[event.seq]
        event._state.adding = False
        event._state.db = connection.alias


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
):
    """Append events for one subject and move its current state, in the caller's transaction.

    `items` is a list of (purpose, vendor or None, requested decision). Returns the events.
    `new_subject`: the subject was created in this same transaction, so it has no chain and no
    state yet and no other transaction can see it; the lock and the reads are skipped.
    """
    if new_subject:
        seq, prev_hash, states = 0, "", {}
    else:
        seq, prev_hash, states = _lock_chain(subject_id)
    events = _chain_events(
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
        _write_chain(site, subject_id, events, states)
        queue_changes(site, subject_id, events)
        return events
    if events:
        seq, prev_hash = events[-1].seq, events[-1].hash
    changed, created = [], []
    _insert_rows(events)
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
        _insert_rows(created)
    with connection.cursor() as cursor:
        if changed:
            cursor.executemany(_UPDATE_STATE_SQL, [_state_values(state) for state in changed])
        cursor.execute(
            "UPDATE consent_subject SET last_seq = %s, last_hash = %s WHERE id = %s", [seq, prev_hash, subject_id]
        )
    queue_changes(site, subject_id, events)
    return events


def record_decision(
    site,
    *,
    receipt_id,
    decisions,
    method,
    vendors=None,
    visitor_id=None,
    user_id=None,
    ref=None,
    banner_version=None,
    policy_version=None,
    language="",
    jurisdiction="",
    ip=None,
    user_agent="",
    evidence=None,
    allowed_methods=None,
    now=None,
    age=None,
    parental_consent=None,
    catalogue=None,
):
    """Record one decision request: events, current state and receipt, in one transaction.

    Idempotent on `receipt_id`: a replay returns the stored receipt and `created=False`;
    the same id with different content is a conflict. Returns (receipt body, created).
    `age` / `parental_consent`: see `parental_consent_evidence` (minors).
    A new visitor's first decision on PostgreSQL is written in one statement (see the section on
    it below); anything else, or any conflict there, takes the general path that follows.
    """
    vendors = vendors if vendors is not None else {}
    if not isinstance(receipt_id, uuid.UUID):
        raise ConsentError("decision.invalid", "The decision could not be recorded.", {"id": ["Must be a UUID."]})
    subject_label = ref if ref is not None else (user_id or visitor_id)
    print_ = fingerprint(
        {
            "subject": [ref, visitor_id, user_id],
            "decisions": decisions,
            "vendors": vendors,
            "method": method,
            "banner_version": banner_version,
            "policy_version": policy_version,
            "language": language,
        }
    )
    now = now or timezone.now()
    first = _first_decision_alias(site, visitor_id, user_id, ref)
    if first is not None:
        try:
            wanted = _validate(site, decisions, vendors, method, allowed_methods, catalogue)
        except ConsentError:
            existing = _stored_receipt(site, receipt_id)  # a replay is answered even if no longer valid
            if existing is None:
                raise
            return _replay(existing, print_)
        if wanted:
            fields = {
                "method": method,
                "recorded_at": now,
                "receipt_id": receipt_id,
                "policy_version": policy_version,
                "banner_version": banner_version,
                "language": language,
                "jurisdiction": jurisdiction,
                "ip": minimise_ip(site, ip),
                "user_agent": user_agent,
                "evidence": parental_consent_evidence(
                    site, None, wanted, evidence, age=age, parental_consent=parental_consent, now=now
                ),
            }
            birth_year = minor_birth_year(site, age, now)
            body = _record_first_decision(site, first, wanted, fields, subject_label, print_, birth_year)
            _remember_alias(site, first[1])
            if body is not None:
                return body, True
    existing = _stored_receipt(site, receipt_id)
    if existing is not None:
        return _replay(existing, print_)
    wanted = _validate(site, decisions, vendors, method, allowed_methods, catalogue)
    try:
        with transaction.atomic():
            subject_id, new_subject = resolve_subject(
                site, visitor_id=visitor_id, user_id=user_id, ref=ref, with_flag=True
            )
            evidence = parental_consent_evidence(
                site, subject_id, wanted, evidence, age=age, parental_consent=parental_consent, now=now
            )
            if age is not None:
                Subject.objects.filter(pk=subject_id).update(birth_year=minor_birth_year(site, age, now))
            events = append_events(
                site,
                subject_id,
                wanted,
                method=method,
                recorded_at=now,
                receipt_id=receipt_id,
                policy_version=policy_version,
                banner_version=banner_version,
                language=language,
                jurisdiction=jurisdiction,
                ip=minimise_ip(site, ip),
                user_agent=user_agent,
                evidence=evidence,
                new_subject=new_subject,
            )
            body = _receipt_body(site, receipt_id, now, subject_label, events, method, banner_version, policy_version)
            _insert_rows(
                [
                    DecisionReceipt(
                        site=site,
                        receipt_id=receipt_id,
                        subject_id=subject_id,
                        fingerprint=print_,
                        body=body,
                        recorded_at=now,
                    )
                ]
            )
    except IntegrityError:
        # Two requests with the same id raced; the other one won and holds the receipt.
        existing = _stored_receipt(site, receipt_id)
        if existing is None:
            raise
        return _replay(existing, print_)
    return body, True


# --- a new visitor's first decision, on PostgreSQL ------------------------------------------
#
# Most decisions are the first one a visitor ever makes: the banner's answer on a first visit.
# Then the subject, its alias, the events, the current state and the receipt are all new rows:
# nothing needs reading or locking. The new subject's id comes from a block drawn ahead from
# its sequence, the chain is hashed here, and one statement of data-modifying CTEs writes every
# row, atomically on its own: one round trip instead of ten. Every row hangs off the alias
# insert, which skips a conflict: if the visitor is known (or another request just created
# them), nothing is written and the general path records the decision against that subject. A
# receipt id used before breaks its unique constraint, and the general replay handling answers.
# Known subjects, SQLite, sites with webhooks and visitor-to-user links take the general path.

_WRITE_FIRST_SQL = f"""
WITH a AS (
    INSERT INTO consent_subjectalias (site_id, subject_id, kind, value, created_at)
    SELECT %(site)s, %(subject)s, %(kind)s, %(value)s, %(now)s
    WHERE NOT EXISTS (
        SELECT 1 FROM consent_subjectalias
        WHERE site_id = %(site)s AND value = %(value)s AND kind = ANY(%(kinds)s::text[])
    )
    ON CONFLICT DO NOTHING
    RETURNING subject_id
), s AS (
    INSERT INTO consent_subject (id, site_id, email, birth_year, created_at, erased_at, last_seq, last_hash)
    SELECT subject_id, %(site)s, '', %(birth_year)s::smallint, %(now)s, NULL, %(last_seq)s, %(last_hash)s FROM a
), e AS (
    INSERT INTO consent_consentevent ({_EVENT_COLUMNS})
    SELECT %(site)s, a.subject_id, v.seq, v.purpose_id, v.vendor_id, v.decision, 1,
        %(policy_version)s::integer, %(banner_version)s::integer, %(method)s, %(jurisdiction)s, %(language)s,
        %(now)s, %(ip)s, %(user_agent)s, %(receipt)s::uuid, %(evidence)s::jsonb, v.prev_hash, v.hash
    FROM a, unnest(%(seqs)s::integer[], %(purposes)s::bigint[], %(vendors)s::bigint[], %(decisions)s::text[],
                   %(prev_hashes)s::text[], %(hashes)s::text[])
        AS v(seq, purpose_id, vendor_id, decision, prev_hash, hash)
    RETURNING id, subject_id, purpose_id, vendor_id, decision
), st AS (
    INSERT INTO consent_consentstate ({_STATE_COLUMNS})
    SELECT subject_id, purpose_id, vendor_id, decision, 1, %(policy_version)s::integer,
        %(banner_version)s::integer, %(method)s, %(now)s, id
    FROM e
), r AS (
    INSERT INTO consent_decisionreceipt (site_id, receipt_id, subject_id, fingerprint, body, recorded_at)
    SELECT %(site)s, %(receipt)s::uuid, subject_id, %(fingerprint)s, %(body)s::jsonb, %(now)s FROM a
)
SELECT count(*) FROM e
"""


class _SubjectIds:
    """Subject ids drawn from the table's sequence in blocks, so that a new subject costs no query.

    Ids are unique whatever the order they are used in; ids drawn and never used leave gaps,
    as a rolled-back insert does.
    """

    BLOCK = 64

    def __init__(self):
        self._lock = threading.Lock()
        self._free = []

    def take(self):
        with self._lock:
            if not self._free:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence('consent_subject', 'id')) FROM generate_series(1, %s)",
                        [self.BLOCK],
                    )
                    self._free = [row[0] for row in reversed(cursor.fetchall())]
            return self._free.pop()

    def give_back(self, subject_id):
        """An id taken and not used (nothing was written with it) is used by the next new subject."""
        with self._lock:
            self._free.append(subject_id)

    def forget(self):
        with self._lock:
            self._free = []


_subject_ids = _SubjectIds()


class _EventDraft(SimpleNamespace):
    """An event's fields without a model instance: the first-decision statement writes them."""

    @property
    def purpose_id(self):
        return self.purpose.id

    @property
    def vendor_id(self):
        return self.vendor.id if self.vendor else None


# Aliases this process has seen with a subject: their next decisions go straight to the general
# path instead of trying the first-decision statement in vain. Only a hint: a stale entry just
# sends a request down the general path, which is always right. Bounded by clearing it.
_known_aliases = set()
_KNOWN_ALIASES_MAX = 50_000


def _remember_alias(site, alias):
    if len(_known_aliases) >= _KNOWN_ALIASES_MAX:
        _known_aliases.clear()
    _known_aliases.add((site.pk, *alias))


def _first_decision_alias(site, visitor_id, user_id, ref):
    """(kinds searched, the one alias a new subject would get), if this request may take the
    first-decision path; the same resolution as `resolve_subject` (see `single_reference`)."""
    if not fast_paths() or has_webhooks(site.id):
        return None
    single = single_reference(visitor_id, user_id, ref)
    if single is None or ref is None and (user_id is not None or not visitor_id):
        return None  # a signed-in user (subject token) or no reference at all: the general path
    return None if (site.pk, *single[1]) in _known_aliases else single


def _record_first_decision(site, reference, wanted, fields, subject_label, print_, birth_year=None):
    """Record a decision as a new subject's first, in one statement; the receipt body, or None
    when the alias already has a subject or the receipt id was used before (general path)."""
    kinds, alias = reference
    subject_id = _subject_ids.take()
    events = _chain_events(site, subject_id, wanted, {}, 0, "", make=_EventDraft, **fields)
    now, receipt_id = fields["recorded_at"], fields["receipt_id"]
    body = _receipt_body(
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
        **_chain_params(events),
        "site": site.pk,
        "subject": subject_id,
        "kind": alias[0],
        "value": alias[1],
        "kinds": list(kinds),
        "birth_year": birth_year,
        "fingerprint": print_,
        "body": json.dumps(body),
    }
    try:
        # Inside a caller's transaction a failed statement must not abort it: use a savepoint.
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            with connection.cursor() as cursor:
                cursor.execute(_WRITE_FIRST_SQL, params)
                written = cursor.fetchone()[0]
    except IntegrityError as exc:
        # A receipt id used before, or (after a sequence reset) a subject id taken: either
        # way the general path knows what to answer. Only in the second case is the block stale.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        if constraint.startswith("consent_subject"):
            _subject_ids.forget()
        else:
            _subject_ids.give_back(subject_id)
        return None
    if not written:
        _subject_ids.give_back(subject_id)
        return None
    return body


# --- minors: parental consent ---------------------------------------------------------------


def minor_birth_year(site, age, now):
    """What is kept of an age given with a decision: for a minor, the latest birth year it allows
    (so that later decisions without an age still count as a minor's); for an adult, nothing."""
    return now.year - age if age is not None and age < site.age_of_digital_consent else None


def is_minor(site, subject_id, now=None):
    """Whether the subject counts as below the site's age of digital consent (by birth year)."""
    return _is_minor(site, subject_id, None, now or timezone.now())


def _is_minor(site, subject_id, age, now):
    """Below the site's age of digital consent, by the age given or the subject's birth year."""
    if age is not None:
        return age < site.age_of_digital_consent
    birth_year = Subject.objects.filter(pk=subject_id).values_list("birth_year", flat=True).first()
    if birth_year:
        # The youngest the person can be this year: in doubt, treat them as a minor.
        return now.year - birth_year - 1 < site.age_of_digital_consent
    return False


def parental_consent_evidence(site, subject_id, wanted, evidence, *, age=None, parental_consent=None, now=None):
    """Evidence for the events, with who gave parental consent and how when a minor grants a purpose
    marked `requires_parental_consent`; without that evidence the grant is refused (400, field named)."""
    now = now or timezone.now()
    fields = {}
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 150):
        fields["age"] = ["Must be a whole number of years between 0 and 150."]
    if parental_consent is not None and not isinstance(parental_consent, dict):
        fields["parental_consent"] = ['Expected an object {"given_by": "...", "method": "..."}.']
    if fields:
        raise ConsentError("decision.invalid", "The decision could not be recorded.", fields)
    needs = [p.key for p, _, d in wanted if d == Decision.GRANTED and p.requires_parental_consent]
    if not needs or not _is_minor(site, subject_id, age, now):
        return evidence
    given = parental_consent or {}
    for name in ("given_by", "method"):
        value = given.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            fields[f"parental_consent.{name}"] = [
                f"Parental consent is required below age {site.age_of_digital_consent} for: {', '.join(needs)}; "
                f"say {'who gave it' if name == 'given_by' else 'how it was obtained'} (1-200 characters)."
            ]
    if fields:
        raise ConsentError("decision.parental_consent_required", "A parent or guardian must give this consent.", fields)
    record = {"given_by": given["given_by"].strip(), "method": given["method"].strip()}
    return {**(evidence or {}), "parental_consent": record}


def _stored_receipt(site, receipt_id):
    """The receipt already stored for this id, if any (fingerprint and body only)."""
    field = DecisionReceipt._meta.get_field("receipt_id")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT fingerprint, body FROM consent_decisionreceipt WHERE site_id = %s AND receipt_id = %s",
            [site.pk, field.get_db_prep_value(receipt_id, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    body = row[1] if isinstance(row[1], dict) else json.loads(row[1])
    return DecisionReceipt(fingerprint=row[0], body=body)


def _replay(receipt, print_):
    if receipt.fingerprint != print_:
        raise Conflict(
            "decision.id_reused",
            "This id was already used for a different decision; generate a new id for a new decision.",
            {"id": ["Already used with different content."]},
        )
    return receipt.body, False


def _receipt_body(site, receipt_id, now, subject_label, events, method, banner_version, policy_version):
    decisions, vendors = {}, {}
    for event in events:
        entry = {"state": event.decision, "version": event.version}
        if event.vendor is None:
            decisions[event.purpose.key] = entry
        else:
            vendors.setdefault(event.vendor.key, {})[event.purpose.key] = entry
    body = {
        "receipt_id": str(receipt_id),
        "recorded_at": canonical_time(now).replace("+00:00", "Z"),
        "site": site.key,
        "subject": subject_label,
        "method": method,
        "decisions": decisions,
        "banner_version": banner_version,
        "policy_version": policy_version,
    }
    if vendors:
        body["vendors"] = vendors
    return body


def record_system_decisions(site, subject_id, items, *, method, evidence=None, now=None):
    """Events the platform itself records (expiry, erasure, email links): no receipt, no client id."""
    now = now or timezone.now()
    with transaction.atomic():
        return append_events(site, subject_id, items, method=method, recorded_at=now, evidence=evidence)
