"""The bulk check reads the same verdicts through its one-statement PostgreSQL path as through
the portable ORM path: known and unknown references, user and visitor ids (a user id wins over a
visitor id of the same value), every state and legal basis, expired consents, consents a
material policy change superseded, and vendor refusals."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent import selectors
from consent.models import LegalBasis, PolicyVersion, Purpose, Vendor
from consent.services.decisions import record_decision

PURPOSES = ["essential", "analytics", "advertising", "marketing_email", "surveys", "legal_notices", "contracted"]


def decide(site, decisions, *, user=None, visitor=None, now=None, vendors=None, policy_version=None):
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
    )


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
    assert selectors._known_states_one_statement(site, purpose, refs, vendor).keys() == (
        selectors._known_states(site, purpose, refs, vendor).keys()
    )
    fast = selectors.who_may(site, purpose, refs, vendor=vendor, now=now)
    connection.vendor, real = "portable", connection.vendor
    try:
        portable = selectors.who_may(site, purpose, refs, vendor=vendor, now=now)
    finally:
        connection.vendor = real
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
    assert "unnest" in captured.captured_queries[1]["sql"]
