"""Reading TC strings (IAB TCF v2.3) that the banner sends with a decision, so that what the
ledger stores is a well-formed string of this CMP, never arbitrary text.

Only the fields a check needs are decoded: the core segment's header, and the type of each
further segment. The rules are those of the "Consent string and vendor list formats v2" spec.
"""

import base64
import re
from datetime import UTC, datetime

MAX_LENGTH = 8192
SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
AC_STRING = re.compile(r"^(1~[0-9.]*|2~[0-9.]*~dv\.[0-9.]*)$")
MAX_AC_LENGTH = 8192
DISCLOSED_VENDORS = 1
PUBLISHER_TC = 3
MIN_POLICY_VERSION = 4  # strings under older policies are invalid since 30 September 2023

# (name, bits) of the core segment's header, in order.
CORE_HEADER = (
    ("version", 6),
    ("created", 36),
    ("last_updated", 36),
    ("cmp_id", 12),
    ("cmp_version", 12),
    ("consent_screen", 6),
    ("consent_language", 12),
    ("vendor_list_version", 12),
    ("policy_version", 6),
    ("is_service_specific", 1),
    ("use_non_standard_texts", 1),
    ("special_feature_opt_ins", 12),
    ("purposes_consent", 24),
    ("purposes_li_transparency", 24),
    ("purpose_one_treatment", 1),
    ("publisher_cc", 12),
)


class TCStringError(ValueError):
    """The string is not a valid TC string of this CMP; the message says why."""


def _bits(segment):
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError as exc:
        raise TCStringError("Not base64url.") from exc
    return "".join(f"{byte:08b}" for byte in raw)


def _letters(value):
    return chr(ord("A") + (value >> 6)) + chr(ord("A") + (value & 63))


def decode(tc_string):
    """The core header fields and the segment types of a TC string; raises TCStringError."""
    if not isinstance(tc_string, str) or not 0 < len(tc_string) <= MAX_LENGTH:
        raise TCStringError(f"Expected a string of 1-{MAX_LENGTH} characters.")
    segments = tc_string.split(".")
    if not all(SEGMENT.match(s) for s in segments):
        raise TCStringError("Segments must be base64url (A-Z a-z 0-9 - _) joined by dots.")
    bits = _bits(segments[0])
    needed = sum(n for _, n in CORE_HEADER)
    if len(bits) < needed:
        raise TCStringError("The core segment is too short.")
    fields, at = {}, 0
    for name, n in CORE_HEADER:
        fields[name] = int(bits[at : at + n], 2)
        at += n
    fields["consent_language"] = _letters(fields["consent_language"])
    fields["publisher_cc"] = _letters(fields["publisher_cc"])
    types = []
    for segment in segments[1:]:
        types.append(int(_bits(segment)[:3], 2))
    fields["segments"] = types
    return fields


def validate(tc_string, *, cmp_id, now=None):
    """The decoded header of a TC string this CMP may have written under TCF 2.3 rules."""
    fields = decode(tc_string)
    if fields["version"] != 2:
        raise TCStringError("Only version 2 TC strings are accepted.")
    if fields["policy_version"] < MIN_POLICY_VERSION:
        raise TCStringError(f"TcfPolicyVersion {fields['policy_version']} is no longer valid (4 or later).")
    if fields["is_service_specific"] != 1:
        raise TCStringError("IsServiceSpecific must be 1.")
    if fields["cmp_id"] != cmp_id:
        raise TCStringError(f"CmpId {fields['cmp_id']} is not this platform's ({cmp_id}).")
    if fields["created"] != fields["last_updated"]:
        raise TCStringError("Created and LastUpdated must be the same.")
    if fields["created"] % 864000:
        raise TCStringError("Created must be a day (UTC midnight).")
    now = now or datetime.now(UTC)
    if fields["created"] / 10 > now.timestamp() + 86400:
        raise TCStringError("Created is in the future.")
    if DISCLOSED_VENDORS not in fields["segments"]:
        raise TCStringError("The DisclosedVendors segment is missing (mandatory in TCF 2.3).")
    if any(t not in (DISCLOSED_VENDORS, PUBLISHER_TC) for t in fields["segments"]):
        raise TCStringError("Unknown segment type.")
    return fields


def validate_ac(ac_string):
    """Google's Additional Consent string: `2~consented ids~dv.disclosed ids` (or version 1)."""
    if not isinstance(ac_string, str) or len(ac_string) > MAX_AC_LENGTH or not AC_STRING.match(ac_string):
        raise TCStringError("Expected an Additional Consent string such as 2~1.35~dv.9.21.")
    return ac_string
