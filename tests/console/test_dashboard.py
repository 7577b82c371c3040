"""Dashboard numbers come from grouped database queries and match what was recorded."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction
from django.test import Client

from consent.exceptions import ConsentError
from consent.models import AuditEvent, Notification, NotificationStatus, PolicyVersion, Purpose
from consent.roles import AUDITOR, EDITOR
from consent.services.chain import append_events
from consent.services.subjects import resolve_subject
from console import dashboard
from features import rollup
from tests.staff import make_staff, sign_in

DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
PERIOD = dashboard.Period(date(2026, 3, 1), date(2026, 3, 3))


def record(site, visitor, when, decisions, method, jurisdiction="FR", language="fr"):
    purposes = {p.key: p for p in Purpose.objects.filter(site=site)}
    subject_id = resolve_subject(site, visitor_id=visitor)
    with transaction.atomic():
        append_events(
            site,
            subject_id,
            [(purposes[k], None, v) for k, v in decisions.items()],
            method=method,
            recorded_at=when,
            jurisdiction=jurisdiction,
            language=language,
        )


@pytest.fixture
def history(site):
    record(site, "v1", DAY1, {"analytics": "granted", "advertising": "granted"}, "accept_all")
    record(site, "v2", DAY1, {"analytics": "denied", "advertising": "denied"}, "reject_all", "US-CA", "en")
    record(site, "v3", DAY1, {"analytics": "granted", "advertising": "denied"}, "custom")
    record(site, "v1", DAY2, {"analytics": "denied"}, "preference_centre")  # a withdrawal
    record(site, "v4", DAY2, {"advertising": "denied"}, "gpc", "US-CA", "en")
    # Outside the period: never counted.
    record(site, "v5", DAY1 - timedelta(days=10), {"analytics": "granted"}, "accept_all")
    return site


def test_rates_split_withdrawals_gpc_and_audiences(history):
    data = dashboard.build(history, PERIOD)
    assert data["days"] == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    assert data["purposes"] == ["analytics", "advertising", "marketing_email", "surveys"]
    assert data["rate"]["analytics"] == [None, 66.7, 0.0]
    assert data["rate"]["advertising"] == [None, 33.3, 0.0]
    assert data["totals"] == {
        "events": 8,
        "consent_rate": 37.5,
        "withdrawals": 1,
        "gpc_events": 1,
        "gpc_share": 12.5,
    }
    methods = {m["method"]: m["events"] for m in data["methods"]}
    assert methods == {"accept_all": 2, "reject_all": 2, "custom": 2, "preference_centre": 1, "gpc": 1}
    assert [m["method"] for m in data["methods"]][:3] == ["accept_all", "reject_all", "custom"]
    daily = {r["day"]: r for r in data["daily"]}
    assert daily[date(2026, 3, 3)]["withdrawals"] == 1 and daily[date(2026, 3, 3)]["gpc"] == 1
    assert daily[date(2026, 3, 2)] == {"day": date(2026, 3, 2), "events": 6, "withdrawals": 0, "gpc": 0}
    by_j = {r["key"]: r for r in data["jurisdictions"]}
    assert by_j["FR"] == {"key": "FR", "decisions": 5, "granted": 3, "rate": 60.0}
    assert by_j["US-CA"]["rate"] == 0.0 and by_j["US-CA"]["decisions"] == 3
    assert {r["key"] for r in data["languages"]} == {"fr", "en"}


def test_campaign_progress_counts_notices_by_status(history):
    site = history
    policy = PolicyVersion.objects.create(site=site, version=1, text="v1", published_at=DAY1, effective_at=DAY1)
    for i, status in enumerate(["queued", "sent", "sent", "failed", "acknowledged"]):
        subject_id = resolve_subject(site, user_id=f"u{i}")
        Notification.objects.create(site=site, subject_id=subject_id, policy_version=policy, status=status)
    [campaign] = dashboard.build(site, PERIOD)["campaigns"]
    assert campaign["policy_version"] == 1 and campaign["total"] == 5
    assert [campaign[s] for s in NotificationStatus.values] == [1, 2, 1, 1]


def test_the_dashboard_is_a_handful_of_queries(history, django_assert_max_num_queries):
    # Purposes, the roll-up watermark, one statement for both cubes (daily stats up to the watermark
    # plus the newer events grouped live), campaigns: the same count whether or not it was rolled up.
    with django_assert_max_num_queries(4):
        dashboard.build(history, PERIOD)
    rollup.roll_up()
    with django_assert_max_num_queries(4):
        dashboard.build(history, PERIOD)


def test_period_is_validated():
    assert dashboard.parse_period(today=date(2026, 3, 31)) == dashboard.Period(date(2026, 3, 2), date(2026, 3, 31))
    for start, end, field in (
        ("2026-13-01", None, "start"),
        ("2026-03-05", "2026-03-01", "start"),
        ("2024-01-01", "2026-01-01", "start"),
    ):
        with pytest.raises(ConsentError) as err:
            dashboard.parse_period(start, end)
        assert field in err.value.fields


def test_page_draws_accessible_svg_charts_and_offers_the_numbers_as_csv(history):
    user, device = make_staff("auditor", AUDITOR)
    client = sign_in(Client(), user, device)
    query = {"site": "acme", "start": "2026-03-01", "end": "2026-03-03"}
    html = client.get("/admin/console/dashboard/", query).content.decode()
    for chart in dashboard.CHARTS:
        assert f'id="chart-{chart}"' in html
        assert f"/admin/console/dashboard/acme/{chart}.csv?site=acme&amp;start=2026-03-01" in html
    assert html.count('role="img"') == len(dashboard.CHARTS)
    assert '<title id="chart-consent-rate-title">Daily consent rate per purpose' in html
    assert "<polyline" in html and "<script" not in html.split('id="content-main"')[1]
    languages = html.split('id="chart-languages"')[1].split("</svg>")[0]
    assert ">French (fr)</text>" in languages and ">English (en)</text>" in languages
    rate_chart = html.split('id="chart-consent-rate"')[1].split("</svg>")[0]
    assert ">Marketing email</text>" in rate_chart and "marketing_email" not in rate_chart
    csv = b"".join(client.get("/admin/console/dashboard/acme/consent-rate.csv", query).streaming_content).decode()
    lines = csv.splitlines()
    assert lines[0] == "day,analytics,advertising,marketing_email,surveys"
    assert lines[2] == "2026-03-02,66.7,33.3,,"
    assert AuditEvent.objects.filter(action="dashboard.exported", data__chart="consent-rate").exists()
    bad = client.get("/admin/console/dashboard/", {"site": "acme", "start": "nope"})
    assert bad.status_code == 200 and "Expected a date" in bad.content.decode()
    assert client.get("/admin/console/dashboard/acme/nope.csv").status_code == 404


def test_editors_see_charts_without_exports(history):
    user, device = make_staff("editor", EDITOR)
    client = sign_in(Client(), user, device)
    html = client.get("/admin/console/dashboard/", {"site": "acme"}).content.decode()
    assert 'id="chart-consent-rate"' in html and "Numbers as CSV" not in html
