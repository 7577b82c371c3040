"""The bulk check reads the same verdicts through its one-statement PostgreSQL path as through
the portable ORM path: known and unknown references, user and visitor ids (a user id wins over a
visitor id of the same value), every state and legal basis, expired consents, consents a
material policy change superseded, and vendor refusals; and under regimes: people in opt-in,
opt-out and notice places, undecided purposes, purposes sensitive in one regime, lifetimes that
differ per regime, expired states, where the one statement reads the jurisdiction only when
the regime can change the answer."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent import selectors
from consent.models import AliasKind, Decision, LegalBasis, Method, PolicyVersion, Purpose, Vendor
from consent.rules import RegimeDependence, regime_dependence
from consent.services.decisions import record_decision, record_system_decisions
from consent.services.subjects import find_subject

PURPOSES = ["essential", "analytics", "advertising", "marketing_email", "surveys", "legal_notices", "contracted"]


def decide(site, decisions, *, user=None, visitor=None, now=None, vendors=None, policy_version=None, where=""):
    record_decision(
        site,
        receipt_id=uuid.uuid4(),
        decisions=decisions,
        method="custom",
        user_id=user,
        visitor_id=visitor,
        now=now,
        vendors=vendors,
        policy_version=policy_version,
        jurisdiction=where,
    )


def far_future():
    return timezone.now() + timedelta(days=36500)


def read_every_jurisdiction():
    """A dependence under which the one statement reads every known subject's jurisdiction."""
    return RegimeDependence(undecided=True, refused=True, grants=True, fresh_after=far_future(), floor=0)


def comparable(known):
    """{ref: (state, updated_at, policy_version, vendor state, jurisdiction)} of either path."""
    return {
        ref: (
            *((state.state, state.updated_at, state.policy_version) if state is not None else (None,) * 3),
            vendor_state.state if vendor_state is not None else None,
            jurisdiction,
        )
        for ref, (state, vendor_state, jurisdiction) in known.items()
    }


def both_paths(site, purpose, refs, vendor, now):
    fast = selectors.who_may(site, purpose, refs, vendor=vendor, now=now)
    connection.vendor, real = "portable", connection.vendor
    try:
        portable = selectors.who_may(site, purpose, refs, vendor=vendor, now=now)
    finally:
        connection.vendor = real
    return fast, portable


@pytest.fixture
def ledger(site):
    now = timezone.now()
    Purpose.objects.create(site=site, key="contracted", legal_basis=LegalBasis.CONTRACT, position=6)
    long_ago = now - site.consent_lifetime - timedelta(days=3)
    PolicyVersion.objects.create(site=site, version=1, text="v1", published_at=long_ago, effective_at=long_ago)
    refs = []
    for n in range(60):
        state = ["granted", "denied", "withdrawn"][n % 3]
        decisions = {"analytics": state, "marketing_email": state, "surveys": state}
        if n % 4 == 0:
            decisions["advertising"] = "granted"
        vendors = {"partner_ads": "denied" if n % 8 == 0 else "granted"} if n % 4 == 0 else None
        when = long_ago if n % 5 == 0 else None  # every fifth consent has expired
        if n % 2:
            decide(site, decisions, user=f"user-{n}", now=when, vendors=vendors, policy_version=1)
            refs.append(f"user-{n}")
        else:
            decide(site, decisions, visitor=f"visitor-{n}", now=when, vendors=vendors, policy_version=1)
            refs.append(f"visitor-{n}")
    # One value that is a visitor id of one subject and the user id of another: the user wins.
    decide(site, {"analytics": "denied", "marketing_email": "denied"}, visitor="same-value")
    decide(site, {"analytics": "granted", "marketing_email": "granted"}, user="same-value")
    # A material change to marketing_email, now in effect: consents under version 1 need renewal.
    material = PolicyVersion.objects.create(
        site=site, version=2, text="v2", material=True, published_at=now, effective_at=now - timedelta(seconds=1)
    )
    material.affected_purposes.add(Purpose.objects.get(site=site, key="marketing_email"))
    decide(site, {"marketing_email": "granted"}, user="renewed", policy_version=2)
    decide(site, {"marketing_email": "granted"}, visitor="renewed-visitor", policy_version=2)
    return refs + ["same-value", "renewed", "renewed-visitor", "stranger-1", "stranger-2", "user-1"]


@pytest.mark.parametrize("purpose_key", PURPOSES)
@pytest.mark.parametrize("with_vendor", [False, True])
def test_one_statement_and_portable_paths_agree(site, ledger, purpose_key, with_vendor):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    purpose = Purpose.objects.get(site=site, key=purpose_key)
    vendor = Vendor.objects.get(site=site, key="partner_ads") if with_vendor else None
    now = timezone.now()
    refs = ledger
    # Reading every jurisdiction, the statement returns exactly what the portable path reads.
    every = selectors._known_states_one_statement(site, purpose, refs, vendor, read_every_jurisdiction())
    assert comparable(every) == comparable(selectors._known_states(site, purpose, refs, vendor))
    fast, portable = both_paths(site, purpose, refs, vendor, now)
    assert fast == portable
    allowed, denied = fast
    assert sorted(allowed + denied) == sorted(set(refs))


def test_verdicts_of_the_mixed_ledger(site, ledger):
    """Pins the expected answers so that both paths agreeing is not agreeing on a wrong answer."""
    marketing = Purpose.objects.get(site=site, key="marketing_email")
    allowed, denied = selectors.who_may(site, marketing, ledger)
    # Granted under policy 1 (or none), which version 2 superseded: only renewed consents count.
    assert set(allowed) == {"renewed", "renewed-visitor"}
    analytics = Purpose.objects.get(site=site, key="analytics")
    allowed, _ = selectors.who_may(site, analytics, ledger)
    expected = {("user-%d" if n % 2 else "visitor-%d") % n for n in range(60) if n % 3 == 0 and n % 5 != 0}
    assert set(allowed) == expected | {"same-value"}
    surveys = Purpose.objects.get(site=site, key="surveys")  # legitimate interest: until objection
    allowed, denied = selectors.who_may(site, surveys, ledger)
    assert {"stranger-1", "stranger-2", "renewed"} <= set(allowed)
    assert set(denied) == {("user-%d" if n % 2 else "visitor-%d") % n for n in range(60) if n % 3}
    contracted = Purpose.objects.get(site=site, key="contracted")
    assert selectors.who_may(site, contracted, ledger)[1] == []
    advertising = Purpose.objects.get(site=site, key="advertising")
    vendor = Vendor.objects.get(site=site, key="partner_ads")
    allowed, _ = selectors.who_may(site, advertising, ledger, vendor=vendor)
    # Advertising granted by every fourth, the vendor refused by every eighth, every fifth expired.
    assert set(allowed) == {"visitor-4", "visitor-12", "visitor-28", "visitor-36", "visitor-44", "visitor-52"}


def test_one_round_trip_on_postgresql(site, ledger):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    purpose = Purpose.objects.get(site=site, key="analytics")
    refs = ledger + [f"unknown-{n}" for n in range(10_000)]
    with CaptureQueriesContext(connection) as captured:
        allowed, denied = selectors.who_may(site, purpose, refs)
    assert len(allowed) + len(denied) == len(set(refs))
    # The policy floors, then one statement for aliases and states.
    assert len(captured.captured_queries) == 2
    assert "json_array_elements_text" in captured.captured_queries[1]["sql"]


# --- regimes ----------------------------------------------------------------------------------

# (reference, where, {purpose: (decision, days ago)}): analytics is an ordinary consent purpose,
# marketing_email is sensitive in the opt-out regime (opt-in there too), advertising carries the
# vendor. Lifetimes: opt-in 180 days (the site's), opt-out 30, notice 60. JP is notice and US-TX
# opt-in by the site's own overrides; IN and "" fall to the site's default.
PEOPLE = [
    ("fr-fresh", "FR", {"analytics": ("granted", 10), "marketing_email": ("granted", 45)}),
    ("fr-stale", "FR", {"analytics": ("granted", 200), "marketing_email": ("granted", 200)}),
    ("fr-denied", "FR", {"analytics": ("denied", 5), "marketing_email": ("withdrawn", 5)}),
    ("fr-undecided", "FR", {"advertising": ("granted", 3)}),
    ("ca-fresh", "US-CA", {"analytics": ("granted", 10), "marketing_email": ("granted", 10)}),
    ("ca-between", "US-CA", {"analytics": ("granted", 45), "marketing_email": ("granted", 45)}),
    ("ca-stale", "US-CA", {"analytics": ("granted", 200), "marketing_email": ("granted", 200)}),
    ("ca-denied", "US-CA", {"analytics": ("denied", 5), "marketing_email": ("denied", 5)}),
    ("ca-undecided", "US-CA", {"advertising": ("denied", 3)}),
    ("tx-undecided", "US-TX", {"advertising": ("granted", 3)}),
    ("jp-between", "JP", {"analytics": ("granted", 45), "marketing_email": ("granted", 90)}),
    ("jp-undecided", "JP", {"advertising": ("granted", 3)}),
    ("in-undecided", "IN", {"advertising": ("granted", 3)}),
    ("nowhere-stale", "", {"analytics": ("granted", 200), "marketing_email": ("granted", 200)}),
]
EXPIRED = ["ca-expired", "fr-expired"]  # analytics granted, then expired, then a later decision there
STRANGERS = ["stranger-1", "stranger-2"]


@pytest.fixture
def regime_ledger(site):
    now = timezone.now()
    site.consent_lifetime_days = 180
    site.regime_by_country = {"JP": "notice", "US-TX": "opt_in"}
    site.regime_settings = {
        "opt_out": {"lifetime_days": 30, "sensitive": ["marketing_email"]},
        "notice": {"lifetime_days": 60},
    }
    site.save()
    Purpose.objects.create(site=site, key="contracted", legal_basis=LegalBasis.CONTRACT, position=6)
    vendors = iter(["granted", "denied"] * 20)
    for ref, where, decisions in PEOPLE:
        by_age = {}
        for key, (decision, days) in decisions.items():
            by_age.setdefault(days, {})[key] = decision
        for days in sorted(by_age, reverse=True):
            choice = by_age[days]
            extra = {"vendors": {"partner_ads": next(vendors)}} if "advertising" in choice else {}
            decide(site, choice, user=ref, now=now - timedelta(days=days), where=where, **extra)
    analytics = Purpose.objects.get(site=site, key="analytics")
    for ref, where in zip(EXPIRED, ["US-CA", "FR"], strict=True):
        decide(site, {"analytics": "granted"}, user=ref, now=now - timedelta(days=200), where=where)
        subject_id = find_subject(site, ref)
        items = [(analytics, None, Decision.EXPIRED)]
        record_system_decisions(site, subject_id, items, method=Method.EXPIRY, now=now - timedelta(days=20))
        decide(site, {"surveys": "granted"}, user=ref, now=now - timedelta(days=10), where=where)
    return [ref for ref, _, _ in PEOPLE] + EXPIRED + STRANGERS


@pytest.mark.parametrize("default", ["opt_in", "opt_out", "notice"])
@pytest.mark.parametrize("purpose_key", PURPOSES)
@pytest.mark.parametrize("with_vendor", [False, True])
def test_both_paths_agree_under_regimes(site, regime_ledger, default, purpose_key, with_vendor):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    site.regime = default
    site.save()
    purpose = Purpose.objects.get(site=site, key=purpose_key)
    vendor = Vendor.objects.get(site=site, key="partner_ads") if with_vendor else None
    now = timezone.now()
    every = selectors._known_states_one_statement(site, purpose, regime_ledger, vendor, read_every_jurisdiction())
    assert comparable(every) == comparable(selectors._known_states(site, purpose, regime_ledger, vendor))
    fast, portable = both_paths(site, purpose, regime_ledger, vendor, now)
    assert fast == portable


def test_verdicts_under_regimes(site, regime_ledger):
    """Pins the answers on the opt-in default, so that agreeing is not agreeing on a wrong answer."""
    analytics = Purpose.objects.get(site=site, key="analytics")
    allowed, _ = selectors.who_may(site, analytics, regime_ledger)
    # Opt-in: fresh grants. Opt-out and notice: everything not refused, grants of any age included.
    assert set(allowed) == {
        "fr-fresh",
        "ca-fresh",
        "ca-between",
        "ca-stale",
        "ca-undecided",
        "jp-between",
        "jp-undecided",
        "ca-expired",
    }
    marketing = Purpose.objects.get(site=site, key="marketing_email")
    allowed, _ = selectors.who_may(site, marketing, regime_ledger)
    # Sensitive under opt-out: grants within its 30 days only; opt-in 180 days; notice runs it.
    assert set(allowed) == {"fr-fresh", "ca-fresh", "jp-between", "jp-undecided"}


def jurisdictions_read(site, key, refs):
    """The jurisdiction each known reference's row carries when read under the real dependence."""
    purpose = Purpose.objects.get(site=site, key=key)
    dependence = regime_dependence(purpose, site=site, now=timezone.now())
    known = selectors._known_states_one_statement(site, purpose, refs, None, dependence)
    return {ref: jurisdiction for ref, (_, _, jurisdiction) in known.items()}


def test_the_jurisdiction_is_read_only_where_the_regime_matters(site, regime_ledger):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    read = jurisdictions_read(site, "analytics", regime_ledger)
    # Refusals, and grants within the opt-in lifetime (the only regime where analytics does not
    # run until refused): not read, though their head events are in US-CA, FR or JP.
    for ref in ("ca-denied", "fr-denied", "ca-fresh", "fr-fresh", "ca-between", "jp-between"):
        assert read[ref] == ""
    # No state, an expired one, a grant past the opt-in lifetime: read.
    assert read["ca-undecided"] == "US-CA"
    assert read["ca-expired"] == "US-CA"
    assert read["ca-stale"] == "US-CA"
    assert read["fr-stale"] == "FR"
    assert "stranger-1" not in read
    # marketing_email keeps opt-in under opt-out with a 30-day lifetime: a 45-day grant is read.
    read = jurisdictions_read(site, "marketing_email", regime_ledger)
    assert read["fr-fresh"] == "FR"
    assert read["ca-fresh"] == ""
    assert read["fr-denied"] == ""
    # Legitimate interest: the regime never matters, nothing is read.
    assert set(jurisdictions_read(site, "surveys", regime_ledger).values()) == {""}


def test_a_user_id_sorts_before_a_visitor_id():
    """The one statement takes a reference's first alias in (site, value, kind) order as its user id."""
    assert sorted([AliasKind.VISITOR.value, AliasKind.USER.value]) == [AliasKind.USER.value, AliasKind.VISITOR.value]
