"""Cookie drift: cookie names the banner finds on a page that no declaration of the site covers.

The banner sends names only (never values). A report is validated, names that a declaration
covers (exactly or by a `*` pattern) are dropped, and the rest are kept per site with first
and last seen, the page and a count. A DPO then declares one in a click.
"""

import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from consent.exceptions import ConsentError
from consent.services.audit import record_audit
from cookies.models import CookieDeclaration, ObservedCookie, Storage

MAX_NAMES = 50
MAX_NAME_LENGTH = 200
MAX_PAGE_LENGTH = 500
# RFC 6265 cookie-name: a token (visible ASCII except separators); also fits storage keys we report.
_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_PAGE = re.compile(r"^/[^\s\x00-\x1f\x7f]*$")


def validate_report(names, page):
    """Return (unique names, page) or raise ConsentError naming the bad field."""
    errors = {}
    if not isinstance(names, list) or not names:
        errors["names"] = ["Expected a non-empty list of cookie names."]
        names = []
    elif len(names) > MAX_NAMES:
        errors["names"] = [f"At most {MAX_NAMES} names per report."]
        names = []
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name:
            errors[f"names.{index}"] = ["Expected a cookie name (a non-empty string)."]
        elif len(name) > MAX_NAME_LENGTH:
            errors[f"names.{index}"] = [f"At most {MAX_NAME_LENGTH} characters."]
        elif not _NAME.match(name):
            errors[f"names.{index}"] = ["Not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~ only)."]
    if page is None:
        page = ""
    if not isinstance(page, str) or len(page) > MAX_PAGE_LENGTH or (page and not _PAGE.match(page)):
        errors["page"] = [f"Expected a path starting with '/', at most {MAX_PAGE_LENGTH} characters, no query."]
    if errors:
        raise ConsentError("cookies.invalid_report", "The cookie report is not valid.", errors)
    # A path only: a query string could carry personal data.
    return list(dict.fromkeys(names)), page.split("?", 1)[0].split("#", 1)[0]


def _pattern(name):
    return re.compile("^" + ".*".join(re.escape(part) for part in name.split("*")) + "$")


def covered(name, declarations):
    """Whether any declared name or `*` pattern covers this cookie name."""
    for declared in declarations:
        if "*" in declared:
            if _pattern(declared).match(name):
                return True
        elif declared == name:
            return True
    return False


def undeclared_names(site, names):
    declarations = list(CookieDeclaration.objects.filter(site=site).values_list("name", flat=True))
    return [n for n in names if not covered(n, declarations)]


def report_observed(site, names, page="", *, now=None):
    """Record the undeclared names of one report; returns them (the declared ones are ignored)."""
    names, page = validate_report(names, page)
    now = now or timezone.now()
    fresh = undeclared_names(site, names)
    if not fresh:
        return []
    known = set(ObservedCookie.objects.filter(site=site, name__in=fresh).values_list("name", flat=True))
    if known:
        ObservedCookie.objects.filter(site=site, name__in=known).update(
            last_seen=now, page=page, times_seen=F("times_seen") + 1
        )
    for name in fresh:
        if name in known:
            continue
        try:
            with transaction.atomic():
                ObservedCookie.objects.create(site=site, name=name, page=page, first_seen=now, last_seen=now)
        except IntegrityError:
            # Another report of the same name won the race; count this sighting on its row.
            ObservedCookie.objects.filter(site=site, name=name).update(
                last_seen=now, page=page, times_seen=F("times_seen") + 1
            )
    return fresh


def pending(site=None):
    """Undeclared cookies still waiting for a declaration, newest sighting first."""
    rows = ObservedCookie.objects.filter(declared__isnull=True).select_related("site")
    return rows.filter(site=site) if site is not None else rows


@transaction.atomic
def declare_observed(observed, *, purpose, actor=None, description="", vendor=None, lifetime_seconds=None):
    """Turn a sighting into a declaration of the site (and link them); audited."""
    if purpose.site_id != observed.site_id:
        raise ConsentError("cookies.invalid", "The purpose belongs to another site.", {"purpose": ["Wrong site."]})
    if vendor is not None and vendor.site_id != observed.site_id:
        raise ConsentError("cookies.invalid", "The vendor belongs to another site.", {"vendor": ["Wrong site."]})
    declaration, _ = CookieDeclaration.objects.get_or_create(
        site=observed.site,
        name=observed.name,
        domain="",
        storage=Storage.COOKIE,
        defaults={
            "purpose": purpose,
            "vendor": vendor,
            "description": description,
            "lifetime_seconds": lifetime_seconds,
        },
    )
    observed.declared = declaration
    observed.save(update_fields=["declared"])
    record_audit(
        action="cookie.declared",
        site=observed.site,
        actor=actor,
        obj=declaration,
        data={"name": observed.name, "purpose": purpose.key, "from_observed": observed.pk},
    )
    return declaration
