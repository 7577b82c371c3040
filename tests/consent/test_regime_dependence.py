"""What the bulk check asks of `consent.rules` besides `judge`, checked against `judge` itself over
many site settings, purposes, regimes and states: `regime_dependence` says for which states the
person's regime can change the answer (the check reads a jurisdiction only for those; wherever
it says the regime does not matter, every regime the site can answer gives the same verdict),
and `permission` is `judge(...).allowed` with what does not depend on the row decided once."""

from datetime import timedelta
from itertools import product
from types import SimpleNamespace

from django.utils import timezone

from consent import regimes
from consent.models import Decision, LegalBasis, Purpose
from consent.rules import REFUSED, judge, permission, regime_dependence

NOW = timezone.now()
PURPOSES = [
    Purpose(id=1, key="analytics"),
    Purpose(id=2, key="ads"),
    Purpose(id=3, key="surveys", legal_basis=LegalBasis.LEGITIMATE_INTEREST),
    Purpose(id=4, key="essential", essential=True, legal_basis=LegalBasis.CONTRACT),
    Purpose(id=5, key="contracted", legal_basis=LegalBasis.CONTRACT),
]
OVERRIDES = [{}, {"JP": "notice", "US-TX": "opt_in"}, {"FR": "opt_out", "US": "notice"}]
SETTINGS = [
    {},
    {"opt_out": {"lifetime_days": 30, "sensitive": ["ads"]}, "notice": {"lifetime_days": 60}},
    {
        "opt_in": {"sensitive": []},
        "opt_out": {"sensitive": ["analytics"]},
        "notice": {"lifetime_days": 400, "sensitive": ["ads", "analytics"]},
    },
]
AGES = [1, 29, 30, 31, 59, 60, 61, 179, 180, 181, 394, 395, 396, 399, 400, 401, 1000]
PLACES = ["FR", "DE", "GB", "US", "US-CA", "US-TX", "JP", "IN", "BR", "CA-QC", ""]


def sites():
    for regime, overrides, settings, lifetime in product(regimes.DEFAULTS, OVERRIDES, SETTINGS, [180, 395]):
        yield SimpleNamespace(
            regime=regime,
            regime_by_country=overrides,
            regime_settings=settings,
            consent_lifetime_days=lifetime,
            consent_lifetime=timedelta(days=lifetime),
        )


def states():
    yield None
    for decision in (Decision.DENIED, Decision.WITHDRAWN, Decision.EXPIRED):
        yield SimpleNamespace(state=decision, updated_at=NOW - timedelta(days=5), policy_version=1)
    for days, version in product(AGES, [None, 1, 2]):
        yield SimpleNamespace(state=Decision.GRANTED, updated_at=NOW - timedelta(days=days), policy_version=version)


def regime_needed(dependence, state):
    """What the bulk check's statement asks of a state row (the CASE in selectors._KNOWN_STATES_SQL)."""
    if state is None:
        return dependence.undecided
    if state.state == Decision.GRANTED:
        late = state.updated_at <= dependence.fresh_after or (state.policy_version or 0) < dependence.floor
        return dependence.grants and late
    if state.state in REFUSED:
        return dependence.refused
    return dependence.undecided


def test_possible_regimes_cover_every_answer_of_regime_for():
    for site in sites():
        possible = regimes.possible_regimes(site)
        places = PLACES + list(site.regime_by_country) + list(regimes.BUILT_IN)
        assert {regimes.regime_for(site, place) for place in places} <= set(possible)


def test_where_the_regime_is_not_needed_every_regime_gives_the_same_verdict():
    checked = skipped = 0
    for site, purpose, floors in product(sites(), PURPOSES, [{}, {1: 2, 2: 2}]):
        dependence = regime_dependence(purpose, site=site, now=NOW, floors=floors)
        possible = regimes.possible_regimes(site)
        for state in states():
            checked += 1
            if regime_needed(dependence, state):
                continue
            skipped += 1
            verdicts = {
                judge(purpose, state, site=site, now=NOW, floors=floors, regime=regime).allowed for regime in possible
            }
            assert len(verdicts) == 1, (site, purpose.key, floors, state, dependence)
    assert skipped > checked / 2  # most states need no regime, so the check would be vacuous otherwise


def test_a_typical_opt_in_site():
    """The site's default settings: refusals and grants within the site's lifetime need no regime."""
    site = SimpleNamespace(regime="opt_in", regime_by_country={}, regime_settings={}, consent_lifetime_days=180)
    analytics, _, surveys, essential, _ = PURPOSES
    dependence = regime_dependence(analytics, site=site, now=NOW)
    assert dependence == (True, False, True, NOW - timedelta(days=180), 0)
    assert not regime_needed(dependence, SimpleNamespace(state="granted", updated_at=NOW, policy_version=None))
    assert regime_needed(dependence, None)  # opt-out places run it until refused, opt-in ones do not
    for purpose in (surveys, essential):
        assert regime_dependence(purpose, site=site, now=NOW)[:3] == (False, False, False)


def test_permission_answers_as_judge():
    checked = 0
    for site, purpose, floors in product(sites(), PURPOSES, [{}, {1: 2, 2: 2}]):
        for regime in [None, *regimes.possible_regimes(site)]:
            allowed = permission(purpose, site=site, now=NOW, floors=floors, regime=regime)
            for state in states():
                verdict = judge(purpose, state, site=site, now=NOW, floors=floors, regime=regime)
                assert allowed(state) == verdict.allowed, (site, purpose.key, floors, regime, state)
                checked += 1
    assert checked > 100_000


def test_a_grant_expires_exactly_at_its_lifetime():
    site = SimpleNamespace(regime="opt_in", regime_by_country={}, regime_settings={}, consent_lifetime_days=180)
    analytics = PURPOSES[0]
    allowed = permission(analytics, site=site, now=NOW, regime="opt_in")
    for seconds, expected in ((-1, True), (0, False), (1, False)):
        when = NOW - timedelta(days=180, seconds=seconds)
        state = SimpleNamespace(state=Decision.GRANTED, updated_at=when, policy_version=None)
        assert allowed(state) is expected
        assert judge(analytics, state, site=site, now=NOW, regime="opt_in").allowed is expected
