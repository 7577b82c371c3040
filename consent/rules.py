"""What a recorded state means. Every reader (API, banner config, preference centre, admin,
exports) asks here, so that the legal basis is interpreted in exactly one place.

- consent: allowed only while granted, not older than the site's consent lifetime, and not
  given under a policy version that a material change (now in effect) superseded;
- legitimate interest: allowed until the person objects (a denied or withdrawn state);
- contract, legal obligation and essential purposes: always allowed.

The regime of the person's jurisdiction (see consent.regimes) changes the first rule: where the
law lets optional purposes run until an opt-out (opt-out and notice regimes), a consent purpose
the site does not mark sensitive is allowed until the person refuses it, like a legitimate
interest; sensitive ones keep the opt-in meaning. Without a regime, the opt-in meaning applies.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.utils import timezone

from consent import regimes
from consent.models import Decision, LegalBasis

REFUSED = (Decision.DENIED, Decision.WITHDRAWN)


@dataclass(frozen=True)
class Verdict:
    state: str | None
    allowed: bool
    needs_reconsent: bool
    expired: bool


def judge(purpose, state, *, site, now=None, floors=None, regime=None):
    """The verdict for one purpose given its current ConsentState row (or None).

    `regime`: of the person's latest jurisdiction (consent.selectors.subject_regime); None means
    opt-in."""
    now = now or timezone.now()
    current = state.state if state is not None else None
    if purpose.always_allowed:
        return Verdict(current or Decision.GRANTED, True, False, False)
    if purpose.legal_basis == LegalBasis.LEGITIMATE_INTEREST:
        return Verdict(current, current not in REFUSED, False, False)
    if regime not in (None, regimes.OPT_IN) and regimes.starts_allowed(site, purpose, regime):
        return Verdict(current, current not in REFUSED, False, False)
    if current != Decision.GRANTED:
        return Verdict(current, False, False, False)
    lifetime = site.consent_lifetime if regime is None else regimes.lifetime(site, regime)
    expired = state.updated_at + lifetime <= now
    floor = (floors or {}).get(purpose.id, 0)
    needs_reconsent = floor > 0 and (state.policy_version or 0) < floor
    return Verdict(current, not expired and not needs_reconsent, needs_reconsent or expired, expired)


def permission(purpose, *, site, now, floors=None, regime=None):
    """`judge(purpose, state, ...).allowed` as a function of the state row alone.

    What does not depend on the row (legal basis, regime, lifetime, re-consent floor) is decided
    once: the bulk check asks for up to 10,000 rows of one purpose under a handful of regimes.
    tests/consent/test_regime_dependence.py requires it to answer as `judge` over many sites,
    purposes, regimes and states."""
    if purpose.always_allowed:
        return _always
    if purpose.legal_basis == LegalBasis.LEGITIMATE_INTEREST or (
        regime not in (None, regimes.OPT_IN) and regimes.starts_allowed(site, purpose, regime)
    ):
        return _unless_refused
    lifetime = site.consent_lifetime if regime is None else regimes.lifetime(site, regime)
    granted_after = now - lifetime  # expired when updated_at + lifetime <= now
    floor = (floors or {}).get(purpose.id, 0)

    def while_granted(state):
        return (
            state is not None
            and state.state == Decision.GRANTED
            and state.updated_at > granted_after
            and not (floor > 0 and (state.policy_version or 0) < floor)
        )

    return while_granted


def _always(state):
    return True


def _unless_refused(state):
    return state is None or state.state not in REFUSED


class RegimeDependence(NamedTuple):
    """Which states of one purpose `judge` may allow or not depending on the person's regime.

    A reader that must judge many people (the bulk check) looks up a person's jurisdiction only
    for the states named here; for every other state any of the site's regimes gives the same
    verdict."""

    undecided: bool  # no state, or one neither granted nor refused (expired)
    refused: bool  # denied or withdrawn
    grants: bool  # granted, unless updated after `fresh_after` and under a policy version >= `floor`
    fresh_after: datetime
    floor: int


def regime_dependence(purpose, *, site, now, floors=None, regime_choices=None):
    """When the regime changes `judge(...).allowed` for `purpose` (see RegimeDependence).

    `regime_choices`: the regimes a person of this site can fall under (default: every one
    `regimes.regime_for` can answer for the site)."""
    floor = (floors or {}).get(purpose.id, 0)
    if purpose.always_allowed or purpose.legal_basis == LegalBasis.LEGITIMATE_INTEREST:
        return RegimeDependence(False, False, False, now, floor)
    choices = regimes.possible_regimes(site) if regime_choices is None else regime_choices
    runs = {r: r != regimes.OPT_IN and regimes.starts_allowed(site, purpose, r) for r in choices}
    mixed = len(set(runs.values())) > 1
    # Where the purpose does not start allowed, a grant counts while within that regime's lifetime
    # (and not superseded); where it does, a grant counts regardless. A grant fresh for the
    # shortest of those lifetimes and not superseded is allowed under every regime.
    lifetimes = {regimes.lifetime(site, r) for r, starts in runs.items() if not starts}
    grants = bool(lifetimes) and (mixed or len(lifetimes) > 1)
    fresh_after = now - min(lifetimes) if grants else now
    # A refusal is never allowed, whatever the regime.
    return RegimeDependence(undecided=mixed, refused=False, grants=grants, fresh_after=fresh_after, floor=floor)


def vendor_allowed(purpose_verdict, vendor_state):
    """A purpose is allowed for a vendor only if the purpose is and that vendor was not refused."""
    return purpose_verdict.allowed and not vendor_refused(vendor_state)


def vendor_refused(vendor_state):
    """Whether a vendor's own state (None: never decided) refuses it within its purpose."""
    return vendor_state is not None and vendor_state.state in REFUSED


def stored_decision(purpose, requested, previous):
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
