"""The audit trail: consent events merged with staff actions and notifications, cursor pages, CSV."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from consent.models import Site
from consent.services.audit import record_audit
from consent.services.decisions import record_decision
from consent.tokens import make_api_key

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(api_key):
    cache.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


@pytest.fixture
def trail(site):
    """Four consent events and three audit events at known times (two share one instant)."""
    record_decision(
        site, receipt_id=uuid.uuid4(), ref="user-1", decisions={"analytics": "granted"}, method="api", now=T0
    )
    record_decision(
        site,
        receipt_id=uuid.uuid4(),
        ref="user-1",
        decisions={"analytics": "denied", "marketing_email": "granted"},
        method="api",
        now=T0 + timedelta(minutes=2),
    )
    record_decision(
        site,
        receipt_id=uuid.uuid4(),
        visitor_id="v-2",
        decisions={"advertising": "denied"},
        method="reject_all",
        now=T0 + timedelta(minutes=3),
    )
    record_audit(
        action="policy.published", site=site, actor_label="dpo", data={"version": 2}, now=T0 + timedelta(minutes=1)
    )
    record_audit(action="notification.sent", site=site, data={"channel": "email"}, now=T0 + timedelta(minutes=2))
    record_audit(action="=cmd|' /C calc'!A0", site=site, actor_label="staff", now=T0 + timedelta(minutes=4))
    other = Site.objects.create(key="other", name="Other")
    record_audit(action="policy.published", site=other, now=T0)
    return site


def actions(rows):
    return [(r["kind"], r["action"], r.get("purpose")) for r in rows]


def test_trail_is_merged_newest_first(client, trail):
    response = client.get("/api/v1/audit")
    assert response.status_code == 200
    data = response.json()
    assert data["next_cursor"] is None
    assert actions(data["results"]) == [
        ("staff", "=cmd|' /C calc'!A0", None),
        ("consent", "denied", "advertising"),
        ("consent", "granted", "marketing_email"),
        ("consent", "withdrawn", "analytics"),
        ("notification", "notification.sent", None),
        ("staff", "policy.published", None),
        ("consent", "granted", "analytics"),
    ]
    first_consent = data["results"][-1]
    assert first_consent["subject"] == "user-1" and first_consent["method"] == "api"
    assert first_consent["time"] == "2026-03-01T12:00:00.000000Z"
    assert data["results"][1]["subject"] == "v-2"
    assert data["results"][5]["actor"] == "dpo" and data["results"][5]["data"] == {"version": 2}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("kind=consent", ["denied", "granted", "withdrawn", "granted"]),
        ("kind=staff", ["=cmd|' /C calc'!A0", "policy.published"]),
        ("kind=notification", ["notification.sent"]),
        ("kind=withdrawn", ["withdrawn"]),
        ("kind=policy.published", ["policy.published"]),
        ("purpose=analytics", ["withdrawn", "granted"]),
        ("subject=user-1", ["granted", "withdrawn", "granted"]),
        ("subject=v-2", ["denied"]),
        ("subject=nobody", []),
        ("since=2026-03-01T12:02:00Z", ["=cmd|' /C calc'!A0", "denied", "granted", "withdrawn", "notification.sent"]),
        ("until=2026-03-01T12:01:00Z", ["granted"]),
        ("since=2026-03-01T12:01:00&until=2026-03-01T12:03:00Z&kind=consent", ["granted", "withdrawn"]),
    ],
)
def test_filters(client, trail, query, expected):
    response = client.get(f"/api/v1/audit?{query}")
    assert response.status_code == 200, response.content
    assert [r["action"] for r in response.json()["results"]] == expected


def test_cursor_pages_cover_every_row_once(client, trail):
    everything = client.get("/api/v1/audit").json()["results"]
    seen, url, pages = [], "/api/v1/audit?limit=2", 0
    while url:
        page = client.get(url).json()
        seen += page["results"]
        pages += 1
        url = page["next"]
        if page["next_cursor"]:
            query = parse_qs(urlsplit(page["next"]).query)
            assert query == {"limit": ["2"], "cursor": [page["next_cursor"]]}
    assert pages == 4
    assert [r["id"] for r in seen] == [r["id"] for r in everything]
    # Rows arriving later do not shift a page already cut.
    first = client.get("/api/v1/audit?limit=3").json()
    record_audit(action="banner.published", site=trail, now=T0 + timedelta(hours=1))
    second = client.get(f"/api/v1/audit?limit=3&cursor={first['next_cursor']}").json()
    assert [r["id"] for r in second["results"]] == [r["id"] for r in everything[3:6]]


def test_csv_export_with_the_same_filters(client, trail):
    response = client.get("/api/v1/audit?format=csv&kind=staff")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["'=cmd|' /C calc'!A0", "policy.published"]  # formula neutralised
    assert rows[1]["actor"] == "dpo"
    full = client.get("/api/v1/audit?format=csv")
    assert len(list(csv.DictReader(io.StringIO(b"".join(full.streaming_content).decode())))) == 7


def test_csv_export_streams_beyond_one_page(client, site):
    for n in range(1203):
        record_audit(action="console.viewed", site=site, now=T0 + timedelta(seconds=n))
    response = client.get("/api/v1/audit?format=csv")
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + 1203


@pytest.mark.parametrize(
    "query, field",
    [
        ("since=yesterday", "since"),
        ("until=2026-13-45T00:00:00Z", "until"),
        ("since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "since"),
        ("cursor=garbage", "cursor"),
        ("cursor=WyJ4IiwieSIsMV0", "cursor"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=5000", "limit"),
        ("purpose=telepathy", "purpose"),
        ("subject=" + "u" * 200, "subject"),
        ("kind=" + "k" * 100, "kind"),
        ("format=csv&since=bad", "since"),
        ("format=xml", "format"),
        ("format=", "format"),
    ],
)
def test_bad_filters_are_400_naming_the_field(client, trail, query, field):
    response = client.get(f"/api/v1/audit?{query}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()["error"]["fields"]


def test_other_sites_rows_are_never_shown(trail):
    other = Site.objects.get(key="other")
    _, other_key = make_api_key(other)
    data = APIClient().get("/api/v1/audit", HTTP_AUTHORIZATION=f"Bearer {other_key}").json()
    assert [r["action"] for r in data["results"]] == ["policy.published"]
