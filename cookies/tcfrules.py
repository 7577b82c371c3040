"""Rules of IAB TCF that a site's settings must keep, checked before they reach a TC string."""

import re

from django.core.exceptions import ValidationError

MAX_VENDOR_ID = 65535  # 16 bits in the TC string
PURPOSES = range(1, 25)  # 24 purpose bits
RESTRICTION_TYPES = (0, 1, 2)  # not allowed, require consent, require legitimate interest
COUNTRY = re.compile(r"^[A-Z]{2}$")


def _ids(value, field, low, high, errors):
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        errors[field] = f"Expected a list of whole numbers from {low} to {high}."
        return []
    bad = [v for v in value if not low <= v <= high]
    if bad:
        errors[field] = f"Out of range ({low}-{high}): {', '.join(map(str, bad[:5]))}."
    return value


def validate_settings(tcf):
    """Raise a ValidationError naming each field that a TC string could not carry."""
    errors = {}
    _ids(tcf.vendor_ids, "vendor_ids", 1, MAX_VENDOR_ID, errors)
    _ids(tcf.publisher_purposes, "publisher_purposes", 1, 24, errors)
    _ids(tcf.google_ac_ids, "google_ac_ids", 1, 10**9, errors)
    if not COUNTRY.match(tcf.publisher_cc or ""):
        errors["publisher_cc"] = "Two capital letters (ISO 3166-1 alpha-2), e.g. FR."
    restrictions = tcf.publisher_restrictions
    if not isinstance(restrictions, list):
        errors["publisher_restrictions"] = 'Expected a list of {"purpose", "type", "vendors"}.'
    else:
        seen = set()
        for i, item in enumerate(restrictions):
            if not isinstance(item, dict) or set(item) != {"purpose", "type", "vendors"}:
                errors["publisher_restrictions"] = f'Entry {i + 1}: expected {{"purpose", "type", "vendors"}}.'
                break
            if item["purpose"] not in PURPOSES or isinstance(item["purpose"], bool):
                errors["publisher_restrictions"] = f"Entry {i + 1}: purpose must be 1-24."
                break
            if item["type"] not in RESTRICTION_TYPES or isinstance(item["type"], bool):
                errors["publisher_restrictions"] = (
                    f"Entry {i + 1}: type must be 0 (not allowed), 1 (require consent) or 2 (require LI)."
                )
                break
            if item["purpose"] == 1 and item["type"] == 2:
                errors["publisher_restrictions"] = f"Entry {i + 1}: purpose 1 never rests on legitimate interest."
                break
            if (item["purpose"], item["type"]) in seen:
                errors["publisher_restrictions"] = f"Entry {i + 1}: purpose and type given twice."
                break
            seen.add((item["purpose"], item["type"]))
            sub = {}
            _ids(item["vendors"], "vendors", 1, MAX_VENDOR_ID, sub)
            if sub or not item["vendors"]:
                errors["publisher_restrictions"] = f"Entry {i + 1}: vendors must be a non-empty list of GVL ids."
                break
    if errors:
        raise ValidationError(errors)
