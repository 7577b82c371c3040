"""Receipts: the answer to a decision request, stored so that a replay gets the same answer."""

import hashlib
import json

from django.db import connection

from consent.exceptions import Conflict
from consent.ledger import canonical_time
from consent.models import DecisionReceipt

# json.dumps(payload, sort_keys=True, default=str), without building an encoder per call: the
# bytes must stay exactly these, or replays of stored receipts would be taken for new content.
_fingerprint_json = json.JSONEncoder(sort_keys=True, default=str).encode


def fingerprint(payload):
    return hashlib.sha256(_fingerprint_json(payload).encode()).hexdigest()


def stored_receipt(site, receipt_id):
    """The receipt already stored for this id, if any (fingerprint and body only)."""
    field = DecisionReceipt._meta.get_field("receipt_id")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT fingerprint, body FROM consent_decisionreceipt WHERE site_id = %s AND receipt_id = %s",
            [site.pk, field.get_db_prep_value(receipt_id, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return receipt_from_row(*row)


def receipt_from_row(fingerprint, body):
    body = body if isinstance(body, dict) else json.loads(body)
    return DecisionReceipt(fingerprint=fingerprint, body=body)


def replay(receipt, print_):
    if receipt.fingerprint != print_:
        raise Conflict(
            "decision.id_reused",
            "This id was already used for a different decision; generate a new id for a new decision.",
            {"id": ["Already used with different content."]},
        )
    return receipt.body, False


def receipt_body(site, receipt_id, now, subject_label, events, method, banner_version, policy_version):
    decisions, vendors = {}, {}
    for event in events:
        entry = {"state": event.decision, "version": event.version}
        if event.vendor is None:
            decisions[event.purpose.key] = entry
        else:
            vendors.setdefault(event.vendor.key, {})[event.purpose.key] = entry
    body = {
        "receipt_id": str(receipt_id),
        "recorded_at": canonical_time(now).replace("+00:00", "Z"),
        "site": site.key,
        "subject": subject_label,
        "method": method,
        "decisions": decisions,
        "banner_version": banner_version,
        "policy_version": policy_version,
    }
    if vendors:
        body["vendors"] = vendors
    return body
