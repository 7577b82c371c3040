"""A decision request under the visitor's regime: the jurisdiction is recorded on every event and
a Global Privacy Control signal (`Sec-GPC: 1`) is honoured on the server, whatever the banner did.

Where GPC is binding (opt-out and notice regimes, and every US visitor: see
`consent.regimes.gpc_binding`) each `gpc_sensitive` purpose of the site that the person has not
already refused is recorded `denied` with method `gpc`, even when the same request said
`granted`: the signal wins, and the receipt lists what it overrode. In opt-in regimes no consent
means no processing already, so the request is recorded as sent; an explicit grant there is a
specific, informed act and stands. Either way every event of the request carries
`evidence.gpc = true`.

The signal's denials are a decision request of their own (method `gpc`, receipt id derived from
the request's, so a replay replays both); the person's other choices keep their own method.
"""

import uuid

from consent.models import ConsentState, Decision, Method
from consent.regimes import gpc_binding, regime_for
from consent.rules import REFUSED
from consent.services.decisions import record_decision
from consent.services.subjects import find_subject

GPC_RECEIPT_NAMESPACE = uuid.UUID("6d1b3c2e-8f0a-4e55-9c1d-2a7b5e4f9a10")


def signal_receipt_id(receipt_id):
    """The receipt id of the GPC part of a request: stable, so replays find it."""
    return uuid.uuid5(GPC_RECEIPT_NAMESPACE, str(receipt_id))


def _already_refused(site, refs, purposes):
    subject_id = None
    for ref in refs:
        if ref:
            subject_id = find_subject(site, ref)
            if subject_id is not None:
                break
    if subject_id is None:
        return set()
    rows = ConsentState.objects.filter(
        subject_id=subject_id, vendor__isnull=True, purpose__in=purposes, state__in=REFUSED
    ).values_list("purpose_id", flat=True)
    return set(rows)


def _signal_denials(site, decisions, purposes, refs):
    """Purpose keys the signal denies: sensitive ones granted in the request or not named in it."""
    sensitive = [p for p in purposes.values() if p.gpc_sensitive and not p.always_allowed]
    refused = _already_refused(site, refs, sensitive) if sensitive else set()
    return [
        p.key
        for p in sensitive
        if decisions.get(p.key) == Decision.GRANTED or (p.key not in decisions and p.id not in refused)
    ]


def record_under_regime(site, *, jurisdiction, gpc, catalogue, allowed_methods, **request):
    """Record a banner or server decision request; returns (receipt body, created).

    `request` holds record_decision's keyword arguments (receipt_id, decisions, method, ...).
    """
    regime = regime_for(site, jurisdiction)
    request["jurisdiction"] = jurisdiction
    if gpc:
        request["evidence"] = {**(request.get("evidence") or {}), "gpc": True}
    decisions = request.get("decisions")
    usable = (
        gpc
        and gpc_binding(regime, jurisdiction)
        and isinstance(decisions, dict)
        and request.get("method") in allowed_methods
        and isinstance(request.get("receipt_id"), uuid.UUID)
    )
    denied = []
    if usable:
        purposes = catalogue[0]
        refs = (request.get("user_id"), request.get("visitor_id"), request.get("ref"))
        denied = _signal_denials(site, decisions, purposes, refs)
    if not denied:
        body, created = record_decision(site, catalogue=catalogue, allowed_methods=allowed_methods, **request)
        return _annotate(body, jurisdiction, regime, gpc, [], []), created
    rest = {k: v for k, v in decisions.items() if k not in denied}
    overrode = sorted(k for k in denied if decisions.get(k) == Decision.GRANTED)
    bodies, created = [], False
    if rest or request.get("vendors"):
        # The person's own choices first: if they are invalid, nothing is recorded.
        body, fresh = record_decision(
            site, catalogue=catalogue, allowed_methods=allowed_methods, **{**request, "decisions": rest}
        )
        bodies.append(body)
        created = created or fresh
    signal = {
        **request,
        "receipt_id": signal_receipt_id(request["receipt_id"]),
        "decisions": {key: Decision.DENIED for key in denied},
        "vendors": {},
        "method": Method.GPC,
        "evidence": {**request["evidence"], "gpc_overrode": overrode} if overrode else request["evidence"],
    }
    body, fresh = record_decision(site, catalogue=catalogue, allowed_methods=None, **signal)
    created = created or fresh
    merged = dict(bodies[0]) if bodies else dict(body)
    merged["decisions"] = {**(bodies[0]["decisions"] if bodies else {}), **body["decisions"]}
    return _annotate(merged, jurisdiction, regime, gpc, sorted(denied), overrode), created


def _annotate(body, jurisdiction, regime, gpc, denied, overrode):
    body = {**body, "jurisdiction": jurisdiction, "regime": regime}
    if gpc:
        body["gpc"] = {"signal": True, "binding": gpc_binding(regime, jurisdiction), "denied": denied}
        if overrode:
            body["gpc"]["overrode"] = overrode
    return body
