"""Reads of the ledger: current state with its meaning, history, and bulk permission checks."""

import json
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from consent.ledger import canonical_time
from consent.models import (
    AliasKind,
    ConsentEvent,
    ConsentState,
    Decision,
    PolicyVersion,
    Purpose,
    Subject,
    SubjectAlias,
)
from consent.policy_in_force import reconsent_floors
from consent.regimes import regime_for
from consent.rules import judge, permission, regime_dependence, vendor_allowed, vendor_refused


def latest_jurisdictions(subject_ids):
    """Subject id -> the jurisdiction of its latest event (the head of its chain), one query."""
    head = ConsentEvent.objects.filter(subject_id=OuterRef("pk"), seq=OuterRef("last_seq")).values("jurisdiction")
    rows = Subject.objects.filter(pk__in=subject_ids).annotate(j=Subquery(head[:1])).values_list("pk", "j")
    return {pk: j or "" for pk, j in rows}


def subject_regime(site, subject_id):
    """The regime of the person's latest known jurisdiction; the site's default when unknown."""
    jurisdiction = latest_jurisdictions([subject_id]).get(subject_id, "") if subject_id else ""
    return regime_for(site, jurisdiction)


def iso(value):
    return canonical_time(value).replace("+00:00", "Z") if value else None


def subject_consents(site, subject_id, *, label, now=None, with_history=True):
    """The wire shape of `GET /subjects/{ref}/consents`: every purpose's verdict, and the history."""
    now = now or timezone.now()
    floors = reconsent_floors(site, now)
    regime = subject_regime(site, subject_id)
    states = {}
    vendor_states = {}
    for state in ConsentState.objects.filter(subject_id=subject_id).select_related("vendor"):
        if state.vendor_id is None:
            states[state.purpose_id] = state
        else:
            vendor_states.setdefault(state.purpose_id, []).append(state)
    purposes = {}
    for purpose in Purpose.objects.filter(site=site).order_by("position", "id"):
        state = states.get(purpose.id)
        verdict = judge(purpose, state, site=site, now=now, floors=floors, regime=regime)
        entry = {
            "state": verdict.state,
            "allowed": verdict.allowed,
            "version": state.version if state else None,
            "legal_basis": purpose.legal_basis,
            "essential": purpose.essential,
            "needs_reconsent": verdict.needs_reconsent,
            "expired": verdict.expired,
            "updated_at": iso(state.updated_at) if state else None,
            "policy_version": state.policy_version if state else None,
        }
        refused_vendors = {
            v.vendor.key: {"state": v.state, "allowed": vendor_allowed(verdict, v), "version": v.version}
            for v in vendor_states.get(purpose.id, [])
        }
        if refused_vendors:
            entry["vendors"] = refused_vendors
        purposes[purpose.key] = entry
    result = {"subject": label, "regime": regime, "purposes": purposes}
    if with_history:
        result["history"] = subject_history(subject_id)
    return result


def subject_history(subject_id):
    events = ConsentEvent.objects.filter(subject_id=subject_id).select_related("purpose", "vendor").order_by("seq")
    return [
        {
            "purpose": e.purpose.key,
            "vendor": e.vendor.key if e.vendor_id else None,
            "state": e.decision,
            "version": e.version,
            "method": e.method,
            "recorded_at": iso(e.recorded_at),
            "policy_version": e.policy_version,
            "banner_version": e.banner_version,
            "language": e.language,
            "jurisdiction": e.jurisdiction,
            "receipt_id": str(e.receipt_id) if e.receipt_id else None,
            "evidence": e.evidence,
            "hash": e.hash,
        }
        for e in events
    ]


def who_may(site, purpose, refs, *, vendor=None, now=None):
    """Split subject references into those allowed and those not allowed for a purpose.

    Unknown references are not allowed (no consent on record), except for purposes that are
    always allowed or legitimate-interest purposes nobody objected to. A back end asks this for
    up to 10,000 references at once, so on PostgreSQL the aliases and states are read in one
    statement with the references as one JSON parameter, and a person's latest jurisdiction only
    where their regime can change the verdict; other databases take three queries.
    """
    now = now or timezone.now()
    floors = reconsent_floors(site, now)
    refs = list(dict.fromkeys(refs))
    if connection.vendor == "postgresql":
        dependence = regime_dependence(purpose, site=site, now=now, floors=floors)
        known = _known_states_one_statement(site, purpose, refs, vendor, dependence)
    else:
        known = _known_states(site, purpose, refs, vendor)
    # judge's answer per regime as a function of the row (rules.permission): decided once here.
    allowed_in = {
        j: permission(purpose, site=site, now=now, floors=floors, regime=regime_for(site, j))
        for j in {found[2] for found in known.values()} | {""}
    }
    stranger = allowed_in[""](None)  # every unknown reference alike: no state, the site's default regime
    allowed, denied = [], []
    for ref in refs:
        found = known.get(ref)
        if found is None:
            ok = stranger
        else:
            state, vendor_state, jurisdiction = found
            ok = allowed_in[jurisdiction](state) and not vendor_refused(vendor_state)
        (allowed if ok else denied).append(ref)
    return allowed, denied


class _State(NamedTuple):
    """The columns of a ConsentState that `judge` and `vendor_allowed` read."""

    state: str
    updated_at: datetime
    policy_version: int | None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Driven by the references: per reference one probe of the alias index and one of the state
# index. LIMIT 1 keeps each LATERAL a probe; flattened into joins, the planner hashed all of the
# purpose's states instead (0.4 s on 1M events). The alias index is (site, value, kind): both
# kinds of a value are one descent, already in kind order, and "user" < "visitor", so the first
# row is the user id, which wins over a visitor id as in find_subject (no sort per probe).
# The latest jurisdiction (the subject's head event: two more probes) is read only for the states
# whose verdict the regime can change (rules.regime_dependence); elsewhere it is NULL.
# The references travel as one JSON text (the driver quotes it in one piece; an array of 10,000
# strings it quotes string by string) and the time as microseconds since the epoch (parsing 7,000
# timestamps from text cost about 30 ms of Python per check).
_KNOWN_STATES_SQL = """
SELECT r.value, s.state, (extract(epoch FROM s.updated_at) * 1000000)::bigint, s.policy_version, vs.state,
    CASE WHEN CASE WHEN s.state = %(granted)s
                   THEN %(grants)s AND (s.updated_at <= %(fresh_after)s OR coalesce(s.policy_version, 0) < %(floor)s)
                   WHEN s.state IN (%(denied)s, %(withdrawn)s) THEN %(refused)s
                   ELSE %(undecided)s END
    THEN coalesce((
        SELECT e.jurisdiction FROM consent_subject AS subj
        JOIN consent_consentevent AS e ON e.subject_id = subj.id AND e.seq = subj.last_seq
        WHERE subj.id = a.subject_id
    ), '') END
FROM json_array_elements_text(%(refs)s::json) AS r(value)
CROSS JOIN LATERAL (
    SELECT subject_id FROM consent_subjectalias
    WHERE site_id = %(site)s AND value = r.value AND kind IN (%(user)s, %(visitor)s)
    ORDER BY kind LIMIT 1
) AS a
LEFT JOIN LATERAL (
    SELECT state, updated_at, policy_version FROM consent_consentstate
    WHERE subject_id = a.subject_id AND purpose_id = %(purpose)s AND vendor_id IS NULL LIMIT 1
) AS s ON true
LEFT JOIN LATERAL (
    SELECT state FROM consent_consentstate
    WHERE subject_id = a.subject_id AND purpose_id = %(purpose)s AND vendor_id = %(vendor)s LIMIT 1
) AS vs ON true
"""


def _known_states_one_statement(site, purpose, refs, vendor, dependence):
    """{ref: (purpose state, vendor state, latest jurisdiction)} for the known refs, in one round trip.

    `dependence` (rules.regime_dependence) says for which states the jurisdiction is read; for
    the others it is "" (the site's default regime, which judges them as every other would)."""
    known = {}
    with connection.cursor() as cursor:
        cursor.execute(_KNOWN_STATES_SQL, _known_states_params(site, purpose, refs, vendor, dependence))
        for value, state, updated_us, policy_version, vendor_state, jurisdiction in cursor.fetchall():
            known[value] = (
                _State(state, _EPOCH + timedelta(microseconds=updated_us), policy_version)
                if state is not None
                else None,
                _State(vendor_state, None, None) if vendor_state is not None else None,
                jurisdiction or "",
            )
    return known


def _known_states_params(site, purpose, refs, vendor, dependence):
    return {
        "site": site.pk,
        "user": AliasKind.USER.value,
        "visitor": AliasKind.VISITOR.value,
        "refs": json.dumps(refs),
        "purpose": purpose.pk,
        "vendor": vendor.pk if vendor is not None else None,
        "granted": Decision.GRANTED.value,
        "denied": Decision.DENIED.value,
        "withdrawn": Decision.WITHDRAWN.value,
        **dependence._asdict(),
    }


def _known_states(site, purpose, refs, vendor):
    """The same as `_known_states_one_statement` with the ORM: aliases, states, vendor states."""
    by_ref = {}
    for kind in (AliasKind.VISITOR, AliasKind.USER):  # the user alias, read last, wins
        for value, subject_id in SubjectAlias.objects.filter(site=site, kind=kind, value__in=refs).values_list(
            "value", "subject_id"
        ):
            by_ref[value] = subject_id
    subject_ids = set(by_ref.values())
    states = {
        s.subject_id: s
        for s in ConsentState.objects.filter(purpose=purpose, vendor__isnull=True, subject_id__in=subject_ids).only(
            "subject_id", "state", "updated_at", "policy_version"
        )
    }
    vendor_states = {}
    if vendor is not None:
        vendor_states = {
            s.subject_id: s
            for s in ConsentState.objects.filter(purpose=purpose, vendor=vendor, subject_id__in=subject_ids).only(
                "subject_id", "state"
            )
        }
    jurisdictions = latest_jurisdictions(set(by_ref.values()))
    return {ref: (states.get(sid), vendor_states.get(sid), jurisdictions.get(sid, "")) for ref, sid in by_ref.items()}


def coming_policy_change(site, now=None):
    """The next published material policy change not yet in effect (its notice period), or None."""
    return (
        PolicyVersion.objects.filter(
            site=site, published_at__isnull=False, material=True, effective_at__gt=now or timezone.now()
        )
        .order_by("effective_at", "version")
        .first()
    )
