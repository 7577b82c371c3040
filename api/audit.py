"""The audit trail of a site: consent events merged with staff and system actions, newest first.

Two append-only tables feed it: `ConsentEvent` (opt-ins, refusals, withdrawals, expiries) and
`AuditEvent` (policy and banner publications, notifications, exports, erasures, staff edits).
Pages are cut with an opaque keyset cursor over (time, source, id), so a page never shifts when
new rows arrive and deep pages cost the same as the first.
"""

import base64
import binascii
import json
from datetime import UTC, datetime

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from consent.csv_writer import csv_lines as write_csv_lines
from consent.exceptions import ConsentError
from consent.models import AliasKind, AuditEvent, ConsentEvent, Decision, SubjectAlias
from consent.selectors import iso
from consent.services.subjects import find_subject

CONSENT, AUDIT = "consent", "audit"  # source names; also their order at equal times (descending)
KINDS = ("consent", "staff", "notification")
MAX_LIMIT = 1000
CSV_COLUMNS = (
    "time",
    "kind",
    "action",
    "subject",
    "purpose",
    "vendor",
    "method",
    "version",
    "policy_version",
    "banner_version",
    "actor",
    "object",
    "receipt_id",
    "id",
)


def _invalid(field, message):
    return ConsentError("audit.invalid_filter", f"{field}: {message}", {field: [message]})


def encode_cursor(time, source, row_id):
    raw = json.dumps([time.astimezone(UTC).isoformat(), source, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        time_text, source, row_id = json.loads(raw)
        time = datetime.fromisoformat(time_text)
        if time.tzinfo is None or source not in (CONSENT, AUDIT) or type(row_id) is not int:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _invalid("cursor", "Not a cursor this API returned.") from None
    return time, source, row_id


def parse_time(field, value):
    """An ISO 8601 time; a time without zone is UTC."""
    if value is None or value == "":
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise _invalid(field, "Expected an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z.")
    if not parsed.tzinfo:
        return parsed.replace(tzinfo=UTC)
    # In UTC: PostgreSQL refuses offsets beyond 15:59 that Python accepts (up to 23:59).
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _invalid(field, "The date-time is out of range.") from None


def _after_cursor(source, time_field, cursor):
    """Rows of `source` strictly after the cursor in (time, source, id) descending order."""
    time, cursor_source, row_id = cursor
    if source == cursor_source:
        return Q(**{f"{time_field}__lt": time}) | Q(**{time_field: time, "id__lt": row_id})
    if source < cursor_source:
        return Q(**{f"{time_field}__lte": time})
    return Q(**{f"{time_field}__lt": time})


def _notification_q():
    return Q(action__startswith="notification") | Q(object_type="notification")


class AuditQuery:
    """Validated filters; `page()` returns (rows, next_cursor)."""

    def __init__(self, site, *, subject=None, purpose=None, kind=None, since=None, until=None, catalogue=None):
        self.site = site
        self.subject_ref = subject
        self.purpose_key = purpose
        self.kind = kind
        self.since = parse_time("since", since)
        self.until = parse_time("until", until)
        if self.since and self.until and self.since > self.until:
            raise _invalid("since", "Must not be after 'until'.")
        self.purpose = None
        if purpose:
            purposes = catalogue.purposes if catalogue else {}
            self.purpose = purposes.get(purpose)
            if self.purpose is None:
                raise _invalid("purpose", f"Unknown purpose {purpose[:64]!r} for site {site.key!r}.")
        if kind is not None and (not kind or len(kind) > 64):
            raise _invalid("kind", f"Expected one of {', '.join(KINDS)}, a decision or an action name.")
        self.subject_id = None
        self.no_subject = False
        if subject:
            self.subject_id = find_subject(site, subject)
            self.no_subject = self.subject_id is None

    def _consent_qs(self, cursor):
        if self.kind in ("staff", "notification") or self.no_subject:
            return None
        if self.kind not in (None, "consent") and self.kind not in Decision.values:
            return None
        qs = ConsentEvent.objects.filter(site=self.site)
        if self.kind in Decision.values:
            qs = qs.filter(decision=self.kind)
        if self.subject_id:
            qs = qs.filter(subject_id=self.subject_id)
        if self.purpose:
            qs = qs.filter(purpose=self.purpose)
        if self.since:
            qs = qs.filter(recorded_at__gte=self.since)
        if self.until:
            qs = qs.filter(recorded_at__lt=self.until)
        if cursor:
            qs = qs.filter(_after_cursor(CONSENT, "recorded_at", cursor))
        return qs.select_related("purpose", "vendor").order_by("-recorded_at", "-id")

    def _audit_qs(self, cursor):
        # Purposes belong to consent events; staff actions are not filtered by purpose.
        if self.kind == "consent" or self.kind in Decision.values or self.purpose or self.no_subject:
            return None
        qs = AuditEvent.objects.filter(site=self.site)
        if self.kind == "notification":
            qs = qs.filter(_notification_q())
        elif self.kind == "staff":
            qs = qs.exclude(_notification_q())
        elif self.kind is not None:
            qs = qs.filter(action=self.kind)
        if self.subject_id:
            qs = qs.filter(subject_id=self.subject_id)
        if self.since:
            qs = qs.filter(created_at__gte=self.since)
        if self.until:
            qs = qs.filter(created_at__lt=self.until)
        if cursor:
            qs = qs.filter(_after_cursor(AUDIT, "created_at", cursor))
        return qs.order_by("-created_at", "-id")

    def page(self, limit=100, cursor=None):
        """Up to `limit` rows after `cursor` (a string from a previous page) and the next cursor."""
        position = decode_cursor(cursor) if cursor else None
        found = []
        consent_qs = self._consent_qs(position)
        if consent_qs is not None:
            found += [(e.recorded_at, CONSENT, e.id, e) for e in consent_qs[: limit + 1]]
        audit_qs = self._audit_qs(position)
        if audit_qs is not None:
            found += [(a.created_at, AUDIT, a.id, a) for a in audit_qs[: limit + 1]]
        found.sort(key=lambda item: item[:3], reverse=True)
        page, more = found[:limit], len(found) > limit
        labels = _subject_labels({row.subject_id for *_, row in page if row.subject_id})
        rows = [_row(source, row, labels) for _, source, _, row in page]
        next_cursor = encode_cursor(*page[-1][:3]) if more and page else None
        return rows, next_cursor

    def iterate(self, chunk=500, cursor=None):
        """Every matching row, newest first, fetched page by page (for exports)."""
        while True:
            rows, cursor = self.page(chunk, cursor)
            yield from rows
            if not cursor:
                return


def _subject_labels(subject_ids):
    """How the site names each subject: its user id if known, else the visitor id."""
    labels = {}
    if not subject_ids:
        return labels
    aliases = SubjectAlias.objects.filter(subject_id__in=subject_ids).values_list("subject_id", "kind", "value")
    for subject_id, kind, value in aliases:
        if kind == AliasKind.USER or subject_id not in labels:
            labels[subject_id] = value
    return labels


def _row(source, row, labels):
    if source == CONSENT:
        return {
            "id": f"{CONSENT}:{row.id}",
            "time": iso(row.recorded_at),
            "kind": "consent",
            "action": row.decision,
            "subject": labels.get(row.subject_id),
            "purpose": row.purpose.key,
            "vendor": row.vendor.key if row.vendor_id else None,
            "method": row.method,
            "version": row.version,
            "policy_version": row.policy_version,
            "banner_version": row.banner_version,
            "receipt_id": str(row.receipt_id) if row.receipt_id else None,
            "actor": None,
            "object": None,
            "data": row.evidence or {},
        }
    notification = row.action.startswith("notification") or row.object_type == "notification"
    return {
        "id": f"{AUDIT}:{row.id}",
        "time": iso(row.created_at),
        "kind": "notification" if notification else "staff",
        "action": row.action,
        "subject": labels.get(row.subject_id) if row.subject_id else None,
        "purpose": None,
        "vendor": None,
        "method": None,
        "version": None,
        "policy_version": None,
        "banner_version": None,
        "receipt_id": None,
        "actor": row.actor_label,
        "object": f"{row.object_type}:{row.object_id}" if row.object_type else None,
        "data": row.data or {},
    }


def csv_lines(rows):
    """The rows as CSV text, one chunk per line, header first."""
    return write_csv_lines(CSV_COLUMNS, ([row.get(column) for column in CSV_COLUMNS] for row in rows))
