"""Reads of the ledger: current state with its meaning, history, and bulk permission checks."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from consent.ledger import canonical_time
from consent.models import AliasKind, ConsentEvent, ConsentState, Purpose, Subject, SubjectAlias
from consent.regimes import regime_for
from consent.rules import judge, reconsent_floors, vendor_allowed


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
    always allowed or legitimate-interest purposes nobody objected to.
    """
    now = now or timezone.now()
    floors = reconsent_floors(site, now)
    refs = list(dict.fromkeys(refs))
    by_ref = {}
    # User ids win over visitor ids, as in find_subject.
    for kind in (AliasKind.VISITOR, AliasKind.USER):
        for value, subject_id in SubjectAlias.objects.filter(site=site, kind=kind, value__in=refs).values_list(
            "value", "subject_id"
        ):
            by_ref[value] = subject_id
    states = {
        s.subject_id: s
        for s in ConsentState.objects.filter(
            purpose=purpose, vendor__isnull=True, subject_id__in=set(by_ref.values())
        ).only("subject_id", "state", "updated_at", "policy_version")
    }
    vendor_states = {}
    if vendor is not None:
        vendor_states = {
            s.subject_id: s
            for s in ConsentState.objects.filter(
                purpose=purpose, vendor=vendor, subject_id__in=set(by_ref.values())
            ).only("subject_id", "state")
        }
    jurisdictions = latest_jurisdictions(set(by_ref.values()))
    regimes = {j: regime_for(site, j) for j in set(jurisdictions.values()) | {""}}
    allowed, denied = [], []
    for ref in refs:
        subject_id = by_ref.get(ref)
        regime = regimes[jurisdictions.get(subject_id, "")]
        verdict = judge(purpose, states.get(subject_id), site=site, now=now, floors=floors, regime=regime)
        ok = vendor_allowed(verdict, vendor_states.get(subject_id)) if vendor is not None else verdict.allowed
        (allowed if ok else denied).append(ref)
    return allowed, denied
