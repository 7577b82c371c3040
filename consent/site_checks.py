"""Checks of a site's regime settings, default jurisdiction and cookie domain that a JSON schema
cannot express: the legal bounds of the re-ask interval and the consent lifetime per regime, and
that the cookie domain is a parent of the site's own hosts. Used by `Site.clean` (the console)."""

import re
from urllib.parse import urlsplit

from consent import jurisdiction

DAYS_6_MONTHS = 182
DAYS_12_MONTHS = 365
DAYS_13_MONTHS = 395
DAYS_24_MONTHS = 730
DAYS_10_YEARS = 3650

# (min, max, why) per regime and setting.
BOUNDS = {
    "opt_in": {
        "reask_days": (
            DAYS_6_MONTHS,
            DAYS_13_MONTHS,
            "CNIL: keep a choice about 6 months (182 days); never ask again later than 13 months (395 days).",
        ),
        "lifetime_days": (1, DAYS_13_MONTHS, "Consent lasts at most 13 months (395 days) under the CNIL rule."),
    },
    "opt_out": {
        "reask_days": (
            DAYS_12_MONTHS,
            DAYS_10_YEARS,
            "CCPA 1798.135: wait at least 12 months (365 days) after an opt-out before asking again.",
        ),
        "lifetime_days": (1, DAYS_24_MONTHS, "Colorado: sensitive-data consent is refreshed within 24 months."),
    },
    "notice": {
        "reask_days": (1, DAYS_10_YEARS, "Between 1 day and 10 years."),
        "lifetime_days": (1, DAYS_24_MONTHS, "Between 1 day and 24 months (730 days)."),
    },
}
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def regime_settings_errors(value):
    if not isinstance(value, dict):
        return []
    messages = []
    for regime, values in value.items():
        if regime not in BOUNDS or not isinstance(values, dict):
            continue
        for name, (low, high, why) in BOUNDS[regime].items():
            days = values.get(name)
            if isinstance(days, int) and not isinstance(days, bool) and not low <= days <= high:
                messages.append(f"regime_settings.{regime}.{name}: {days} is outside {low}-{high}. {why}")
    return messages


def normal_origin(value):
    """`scheme://host[:port]` in lower case, or "" if `value` is no http(s) origin."""
    parts = urlsplit(value.strip().rstrip("/").lower()) if isinstance(value, str) else None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def site_origins(site):
    """The site's allowed origins, normalised; those that are no origin are left out."""
    return [o for o in (normal_origin(v) for v in site.allowed_origins or []) if o]


def origin_hosts(site):
    hosts = []
    for origin in site.allowed_origins if isinstance(site.allowed_origins, list) else []:
        if isinstance(origin, str):
            host = urlsplit(origin).hostname
            if host:
                hosts.append(host)
    return hosts


def cookie_domain_error(site):
    """Why `site.cookie_domain` cannot be used, or None: it must be `.parent` of an allowed origin."""
    value = site.cookie_domain
    if not value:
        return None
    if not value.startswith(".") or not _HOST.match(value[1:]) or value.count(".") < 2:
        return "Expected a parent domain with a leading dot and at least two labels, e.g. .example.com."
    if not any(host == value[1:] or host.endswith(value) for host in origin_hosts(site)):
        return f"{value} is not a parent of any allowed origin; add the site's origins first."
    return None


def site_errors(site):
    """Errors by field name; empty when the site is consistent."""
    errors = {}
    messages = regime_settings_errors(site.regime_settings)
    if messages:
        errors["regime_settings"] = messages
    message = jurisdiction.field_error(site.default_jurisdiction)
    if message:
        errors["default_jurisdiction"] = [message]
    message = cookie_domain_error(site)
    if message:
        errors["cookie_domain"] = [message]
    return errors
