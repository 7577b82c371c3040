"""CCPA/CPRA request kinds and their deadlines, beside the GDPR kinds of features.rights.

Know, delete and correct: answer within 45 calendar days, extendable once by 45 more with
notice (90 days at most, Cal. Civ. Code 1798.130(a)(2), 11 CCR 7021). Opt-out of sale or
sharing and limit use of sensitive data: act within 15 business days (11 CCR 7026(f), 7027),
not extendable. Completing a delete request erases the subject, as a GDPR erasure does.
"""

from datetime import timedelta

from consent.models import RightsRequestKind

ANSWER_DAYS = 45
EXTENSION_DAYS = 45
MAX_DAYS = 90
ACT_BUSINESS_DAYS = 15

VERIFIABLE = (RightsRequestKind.CCPA_KNOW, RightsRequestKind.CCPA_DELETE, RightsRequestKind.CCPA_CORRECT)
OPT_OUTS = (RightsRequestKind.CCPA_OPT_OUT, RightsRequestKind.CCPA_LIMIT)
CCPA_KINDS = VERIFIABLE + OPT_OUTS
GDPR_KINDS = tuple(k for k in RightsRequestKind.values if k not in CCPA_KINDS)
ERASING_KINDS = (RightsRequestKind.ERASURE, RightsRequestKind.CCPA_DELETE)


def add_business_days(value, days):
    """`days` working days (Monday to Friday) after `value`; public holidays are not counted out."""
    while days > 0:
        value += timedelta(days=1)
        if value.weekday() < 5:
            days -= 1
    return value


def first_due(kind, received_at):
    """The due date of a new CCPA request, or None for a GDPR kind."""
    if kind in VERIFIABLE:
        return received_at + timedelta(days=ANSWER_DAYS)
    if kind in OPT_OUTS:
        return add_business_days(received_at, ACT_BUSINESS_DAYS)
    return None


def extension(request):
    """(latest allowed due date, extended due date, how the limit reads) for a CCPA request, else None."""
    if request.kind in VERIFIABLE:
        limit = request.received_at + timedelta(days=MAX_DAYS)
        return limit, request.due_at + timedelta(days=EXTENSION_DAYS), "90 days"
    if request.kind in OPT_OUTS:
        return request.due_at, request.due_at + timedelta(days=1), "15 business days; it cannot be extended"
    return None


def kinds_for(regime):
    """The request kinds offered to a person under `regime`: CCPA's in opt-out regimes."""
    return CCPA_KINDS if regime == "opt_out" else GDPR_KINDS
