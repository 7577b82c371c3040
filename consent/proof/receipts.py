"""Signed consent receipts: each decision's receipt carries the fields of ISO/IEC TS 27560 that
apply here and a detached Ed25519 signature over their canonical JSON, so anyone holding the
published key (`/.well-known/consent-ledger-keys`) can check a receipt offline.

The record is built from what was stored (the receipt, the events' language and jurisdiction,
the site and its purposes) and signed when served: Ed25519 is deterministic, so a replay of the
same decision returns the same bytes. Field names follow the W3C DPV mapping of the standard.
"""

import functools

from django.conf import settings
from django.db import connection
from django.urls import reverse

from consent.models import DecisionReceipt, Purpose
from consent.process_caches import caches
from consent.proof import keys

SCHEMA_VERSION = "ISO/IEC TS 27560:2023"
# Ledger decisions as consent states of the standard.
EVENT_STATES = {"granted": "given", "denied": "refused", "withdrawn": "withdrawn", "expired": "expired"}


def _event_context(site_id, receipt_id):
    """(language, jurisdiction) the receipt's events were recorded with."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT language, jurisdiction FROM consent_consentevent WHERE receipt_id = %s AND site_id = %s LIMIT 1",
            [DecisionReceipt._meta.get_field("receipt_id").get_db_prep_value(receipt_id, connection), site_id],
        )
        row = cursor.fetchone()
    return row or ("", "")


def _purpose_entry(key, entry, purposes, vendor=None):
    purpose = purposes.get(key)
    item = {
        "purpose": key,
        "lawful_basis": purpose.legal_basis if purpose is not None else None,
        "state": EVENT_STATES.get(entry["state"], entry["state"]),
        "decision": entry["state"],
        "version": entry["version"],
    }
    if vendor is not None:
        item["vendor"] = vendor
    return item


@functools.lru_cache(maxsize=1024)
def _preferences_url(base_url, site_key):
    """Where the person withdraws: the site's preference centre (reversed once per site, as
    every decision's receipt names it)."""
    return f"{base_url}{reverse('consent:preferences', args=[site_key])}"


caches.register("receipts.preferences_url", _preferences_url.cache_clear)


def consent_record(site, body, purposes, language="", jurisdiction=""):
    """The ISO/IEC TS 27560 shaped record of one receipt body. `purposes`: {key: Purpose}."""
    items = [_purpose_entry(key, entry, purposes) for key, entry in body.get("decisions", {}).items()]
    for vendor, decisions in (body.get("vendors") or {}).items():
        items.extend(_purpose_entry(key, entry, purposes, vendor) for key, entry in decisions.items())
    return {
        "schema_version": SCHEMA_VERSION,
        "record_id": body["receipt_id"],
        "receipt_id": body["receipt_id"],
        "pii_principal_id": body.get("subject"),
        "pii_controllers": [{"name": site.name, "contact": site.dpo_email or None, "url": site.policy_url or None}],
        "privacy_notice": {"url": site.policy_url or None, "version": body.get("policy_version")},
        "policy_url": site.policy_url or None,
        "banner_version": body.get("banner_version"),
        "language": language,
        "jurisdiction": jurisdiction,
        "collection_method": body.get("method"),
        "event_time": body["recorded_at"],
        "event_type": "expressed",
        "purposes": items,
        "withdrawal_method": _preferences_url(settings.PUBLIC_BASE_URL, site.key),
    }


# The receipt's keys in the order of the wire format; a body read back from PostgreSQL's jsonb
# comes in another order, so every response is laid out anew and a replay is byte-identical.
_BODY_ORDER = ("receipt_id", "recorded_at", "site", "subject", "method", "decisions", "vendors")


def _entries(decisions):
    return {key: {"state": e["state"], "version": e["version"]} for key, e in sorted(decisions.items())}


def _ordered(body):
    out = {}
    for key in _BODY_ORDER:
        if key == "decisions":
            out[key] = _entries(body.get("decisions") or {})
        elif key == "vendors":
            if body.get("vendors"):
                out[key] = {vendor: _entries(d) for vendor, d in sorted(body["vendors"].items())}
        else:
            out[key] = body.get(key)
    out.update((key, body[key]) for key in sorted(body) if key not in out and key not in _BODY_ORDER)
    return out


def signed_receipt(site, body, purposes=None, context=None):
    """The receipt body with its consent record and a detached signature added (keys kept).

    `context`: the (language, jurisdiction) the receipt's events were just recorded with, when
    the caller holds them (a decision it has just written); else they are read back.
    """
    if purposes is None:
        purposes = {p.key: p for p in Purpose.objects.filter(site=site)}
    body = _ordered(body)
    language, jurisdiction = context if context is not None else _event_context(site.pk, body["receipt_id"])
    record = consent_record(site, body, purposes, language, jurisdiction)
    kid, signature = keys.sign(record)
    return {**body, "consent_record": record, "signature": {"alg": "EdDSA", "kid": kid, "value": signature}}


def verify_receipt(receipt, jwks):
    """Whether a signed receipt's record verifies with a key of the JWKS `jwks` (a dict)."""
    published = {k["kid"]: k["x"] for k in jwks.get("keys", []) if k.get("kty") == "OKP"}
    signature = receipt.get("signature") or {}
    return keys.verify(receipt.get("consent_record"), signature.get("kid"), signature.get("value", ""), published)


def subject_receipts(site, subject_id):
    """Every receipt of a subject, signed, oldest first: what the preference centre offers."""
    purposes = {p.key: p for p in Purpose.objects.filter(site=site)}
    receipts = DecisionReceipt.objects.filter(site=site, subject_id=subject_id).order_by("recorded_at", "id")
    return [signed_receipt(site, receipt.body, purposes) for receipt in receipts]
