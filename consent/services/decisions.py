"""Decisions: validating a request and recording it (events, states, receipt) in one transaction;
decisions the platform records itself (expiry, erasure)."""

import functools
import hashlib
import hmac
import ipaddress
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from consent.exceptions import ConsentError
from consent.models import Decision, DecisionReceipt, IpHandling, Method, Purpose, Subject, Vendor
from consent.services.chain import ReceiptDraft, append_events, append_if_unchanged
from consent.services.first_decision import (
    first_decision_reference,
    is_known,
    probe_known,
    record_first_decision,
    remember_alias,
)
from consent.services.minors import minor_birth_year, parental_consent_evidence
from consent.services.receipts import fingerprint, receipt_body, replay, stored_receipt
from consent.services.sql import insert_rows
from consent.services.subjects import resolve_subject

# What a caller may ask for; "withdrawn" is also derived from denying a granted consent.
REQUESTABLE_DECISIONS = (Decision.GRANTED, Decision.DENIED, Decision.WITHDRAWN)
MAX_REF_LENGTH = 128
_METHODS = frozenset(Method.values)  # `Method.values` builds a new list on every use


@functools.lru_cache(maxsize=4096)
def _truncated_ip(ip):
    """The network of an address (IPv4 /24, IPv6 /48) as text, "" if it is not one; a visitor's
    address repeats over their requests, so it is worked out once per process."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def minimise_ip(site, ip):
    """Store IPs truncated (IPv4 /24, IPv6 /48), keyed-hashed, or not at all, per site."""
    if not ip or site.ip_handling == IpHandling.NONE:
        return ""
    truncated = _truncated_ip(ip)
    if not truncated:
        return ""
    if site.ip_handling == IpHandling.HASHED:
        return hmac.new(site.secret.encode(), truncated.encode(), hashlib.sha256).hexdigest()[:32]
    return truncated


def _site_catalogue(site):
    purposes = {p.key: p for p in Purpose.objects.filter(site=site)}
    vendors = {v.key: v for v in Vendor.objects.filter(site=site).prefetch_related("purposes")}
    return purposes, vendors


def _validate(site, decisions, vendors, method, allowed_methods, catalogue=None):
    """Turn the request into a list of (purpose, vendor, requested decision); raise on bad input.

    `catalogue` is an optional (purposes by key, vendors by key) pair the caller already holds
    (the API caches it per process), saving the queries on the hot path.
    """
    purposes, known_vendors = catalogue if catalogue is not None else _site_catalogue(site)
    errors = {}
    wanted = []
    if method not in _METHODS or (allowed_methods is not None and method not in allowed_methods):
        choices = ", ".join(allowed_methods if allowed_methods is not None else Method.values)
        errors["method"] = [f"Unknown method {method!r}; expected one of: {choices}."]
    if not isinstance(decisions, dict):
        errors["decisions"] = ["Expected an object of purpose key to decision."]
        decisions = {}
    if not isinstance(vendors, dict):
        errors["vendors"] = ["Expected an object of vendor key to decision."]
        vendors = {}
    if not decisions and not vendors:
        errors["decisions"] = ["At least one decision is required."]
    for key, value in decisions.items():
        field = f"decisions.{key}"
        purpose = purposes.get(key)
        if purpose is None:
            errors[field] = [f"Unknown purpose {key!r} for site {site.key!r}."]
        elif value not in REQUESTABLE_DECISIONS:
            errors[field] = [f"Expected one of: {', '.join(REQUESTABLE_DECISIONS)}."]
        elif purpose.always_allowed:
            if value != Decision.GRANTED:
                errors[field] = [f"Purpose {key!r} is essential ({purpose.legal_basis}) and cannot be refused."]
            # Always-on purposes need no record: nothing was asked.
        else:
            wanted.append((purpose, None, value))
    for key, value in vendors.items():
        field = f"vendors.{key}"
        vendor = known_vendors.get(key)
        if vendor is None:
            errors[field] = [f"Unknown vendor {key!r} for site {site.key!r}."]
            continue
        vendor_purposes = {p.key: p for p in vendor.purposes.all() if not p.always_allowed}
        if isinstance(value, str):
            value = {purpose_key: value for purpose_key in vendor_purposes}
        if not isinstance(value, dict) or not value:
            errors[field] = ["Expected a decision, or an object of purpose key to decision."]
            continue
        for purpose_key, decision in value.items():
            if purpose_key not in vendor_purposes:
                errors[f"{field}.{purpose_key}"] = [f"Vendor {key!r} is not used for purpose {purpose_key!r}."]
            elif decision not in REQUESTABLE_DECISIONS:
                errors[f"{field}.{purpose_key}"] = [f"Expected one of: {', '.join(REQUESTABLE_DECISIONS)}."]
            else:
                wanted.append((vendor_purposes[purpose_key], vendor, decision))
    if errors:
        code = "decision.invalid"
        if any(k.startswith("decisions.") and "Unknown purpose" in v[0] for k, v in errors.items()):
            code = "decision.unknown_purpose"
        elif "method" in errors:
            code = "decision.unknown_method"
        raise ConsentError(code, "The decision could not be recorded.", errors)
    return wanted


def record_decision(
    site,
    *,
    receipt_id,
    decisions,
    method,
    vendors=None,
    visitor_id=None,
    user_id=None,
    ref=None,
    banner_version=None,
    policy_version=None,
    language="",
    jurisdiction="",
    ip=None,
    user_agent="",
    evidence=None,
    allowed_methods=None,
    now=None,
    age=None,
    parental_consent=None,
    catalogue=None,
    subject_id=None,
    returning=False,
):
    """Record one decision request: events, current state and receipt, in one transaction.

    Idempotent on `receipt_id`: a replay returns the stored receipt and `created=False`;
    the same id with different content is a conflict. Returns (receipt body, created).
    `age` / `parental_consent`: see `parental_consent_evidence` (minors).
    `subject_id`: the subject, for callers that already hold it (the preference centre, an
    unsubscribe link); then no reference is resolved and `ref` is only the receipt's label.
    A new visitor's first decision on PostgreSQL is written in one statement (`first_decision`);
    anything else, or any conflict there, takes the general path that follows.
    `returning`: the caller says the visitor has decided before (the banner holds an earlier
    choice), so the visitor is looked up first instead of tried as new; a wrong hint only costs
    the look-up, after which the first-decision path is taken as usual.
    """
    vendors = vendors if vendors is not None else {}
    if not isinstance(receipt_id, uuid.UUID):
        raise ConsentError("decision.invalid", "The decision could not be recorded.", {"id": ["Must be a UUID."]})
    subject_label = ref if ref is not None else (user_id or visitor_id)
    print_ = fingerprint(
        {
            "subject": [ref, visitor_id, user_id],
            "decisions": decisions,
            "vendors": vendors,
            "method": method,
            "banner_version": banner_version,
            "policy_version": policy_version,
            "language": language,
        }
    )
    now = now or timezone.now()
    first = first_decision_reference(site, visitor_id, user_id, ref) if subject_id is None else None
    known = None  # a returning visitor's subject, chain head, states and any stored receipt, read in one go
    wanted = None
    shared = {
        "method": method,
        "recorded_at": now,
        "receipt_id": receipt_id,
        "policy_version": policy_version,
        "banner_version": banner_version,
        "language": language,
        "jurisdiction": jurisdiction,
        "ip": minimise_ip(site, ip),
        "user_agent": user_agent,
    }
    if first is not None and (returning or is_known(site, first)):
        known = probe_known(site, first, receipt_id)
        if known.subject_id is None:
            known = None  # a new visitor after all: try the first-decision statement
        else:
            first = None
    if first is not None:
        try:
            wanted = _validate(site, decisions, vendors, method, allowed_methods, catalogue)
        except ConsentError:
            existing = stored_receipt(site, receipt_id)  # a replay is answered even if no longer valid
            if existing is None:
                raise
            return replay(existing, print_)
        if wanted:
            fields = {
                **shared,
                "evidence": parental_consent_evidence(
                    site, None, wanted, evidence, age=age, parental_consent=parental_consent, now=now
                ),
            }
            birth_year = minor_birth_year(site, age, now)
            outcome = record_first_decision(site, first, wanted, fields, subject_label, print_, birth_year)
            remember_alias(site, first[1])
            if isinstance(outcome, dict):
                return outcome, True
            known = outcome
    if known is not None and known.subject_id is not None:
        existing, subject_id = known.receipt, known.subject_id
    else:
        existing = stored_receipt(site, receipt_id)
    if existing is not None:
        return replay(existing, print_)
    if wanted is None:
        wanted = _validate(site, decisions, vendors, method, allowed_methods, catalogue)
    receipt = ReceiptDraft(
        print_,
        lambda events: receipt_body(
            site, receipt_id, now, subject_label, events, method, banner_version, policy_version
        ),
    )
    try:
        if known is not None and known.head is not None and age is None:
            # A returning visitor read in one snapshot: write on that head unless it moved meanwhile.
            evidence_ = parental_consent_evidence(
                site, subject_id, wanted, evidence, parental_consent=parental_consent, now=now
            )
            if append_if_unchanged(
                site, subject_id, wanted, known.head, known.states, receipt=receipt, evidence=evidence_, **shared
            ):
                return receipt.body, True
        with transaction.atomic():
            new_subject = False
            if subject_id is None:
                subject_id, new_subject = resolve_subject(
                    site, visitor_id=visitor_id, user_id=user_id, ref=ref, with_flag=True
                )
            evidence = parental_consent_evidence(
                site, subject_id, wanted, evidence, age=age, parental_consent=parental_consent, now=now
            )
            if age is not None:
                Subject.objects.filter(pk=subject_id).update(birth_year=minor_birth_year(site, age, now))
            events = append_events(
                site, subject_id, wanted, **shared, evidence=evidence, new_subject=new_subject, receipt=receipt
            )
            if receipt.written:
                body = receipt.body
            else:
                body = receipt.body_for(events)
                insert_rows(
                    [
                        DecisionReceipt(
                            site=site,
                            receipt_id=receipt_id,
                            subject_id=subject_id,
                            fingerprint=print_,
                            body=body,
                            recorded_at=now,
                        )
                    ]
                )
    except IntegrityError:
        # Two requests with the same id raced; the other one won and holds the receipt.
        existing = stored_receipt(site, receipt_id)
        if existing is None:
            raise
        return replay(existing, print_)
    return body, True


def record_system_decisions(site, subject_id, items, *, method, evidence=None, now=None):
    """Events the platform itself records (expiry, erasure, email links): no receipt, no client id."""
    now = now or timezone.now()
    with transaction.atomic():
        return append_events(site, subject_id, items, method=method, recorded_at=now, evidence=evidence)
