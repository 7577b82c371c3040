"""Demo data built from real privacy policies: sites, purposes, vendors, cookies, policy and banner.

`load_demo()` is idempotent: the catalogue is matched by key and only rows that differ are
written; the policy and banner versions are published once (published rows never change).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consent.models import PolicyKind, PolicyVersion, Purpose, Site, Vendor
from cookies.models import BannerVersion, CookieDeclaration
from cookies.services import publish_banner
from demo import bizsoft, crm, livechat, mailer, network
from features.policies import create_draft, publish_policy

SPECS = (network.SITE, bizsoft.SITE, mailer.SITE, crm.SITE, livechat.SITE)
# Demo policy and banner count as published this long ago, so that generated history fits after them.
PUBLISHED_DAYS_AGO = 365
# Keys of a purpose spec that describe the model row (the rest steers generated history).
PURPOSE_FIELDS = (
    "kind",
    "legal_basis",
    "essential",
    "gpc_sensitive",
    "requires_parental_consent",
    "double_opt_in",
    "translations",
)
# Fields whose default is not False.
PURPOSE_DEFAULTS = {"channel": ""}


def demo_url(path):
    return f"{settings.PUBLIC_BASE_URL}{path}"


def _sync(model, lookup, values):
    """Get or create a row by `lookup`; write only the fields whose values differ. Returns the row."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row.save(update_fields=changed)
    return row


def _origins(spec):
    """The site's own domains, and the platform itself, which serves the demo pages."""
    origins = [*spec.get("origins", []), settings.PUBLIC_BASE_URL, "http://127.0.0.1:8000", "http://localhost:8000"]
    return list(dict.fromkeys(origins))


@transaction.atomic
def load_site(spec, *, now=None):
    """Create or bring up to date one demo site from its spec; publish its policy and banner once."""
    now = now or timezone.now()
    fields = dict(spec["fields"], name=spec["name"], policy_url=demo_url(spec["demo_path"]))
    site = Site.objects.filter(key=spec["key"]).first()
    if site is None:
        site = Site.objects.create(key=spec["key"], allowed_origins=_origins(spec), **fields)
    else:
        missing = [o for o in _origins(spec) if o not in site.allowed_origins]
        _sync(Site, {"pk": site.pk}, dict(fields, allowed_origins=site.allowed_origins + missing))
        site.refresh_from_db()

    purposes = {}
    for position, p in enumerate(spec["purposes"]):
        values = {name: p.get(name, False) for name in PURPOSE_FIELDS}
        values.update({name: p.get(name, default) for name, default in PURPOSE_DEFAULTS.items()})
        purposes[p["key"]] = _sync(Purpose, {"site": site, "key": p["key"]}, dict(values, position=position))

    vendors = {}
    for v in spec["vendors"]:
        values = {
            "name": v["name"],
            "country": v.get("country", ""),
            "policy_url": v.get("policy_url", ""),
            "translations": v.get("translations", {}),
        }
        vendor = _sync(Vendor, {"site": site, "key": v["key"]}, values)
        wanted = {purposes[key].pk for key in v["purposes"]}
        if set(vendor.purposes.values_list("pk", flat=True)) != wanted:
            vendor.purposes.set(wanted)
        vendors[v["key"]] = vendor

    for c in spec["cookies"]:
        lookup = {"site": site, "name": c["name"], "domain": c["domain"], "storage": c.get("storage", "cookie")}
        values = {
            "lifetime_seconds": c["lifetime_seconds"],
            "purpose": purposes[c["purpose"]],
            "vendor": vendors.get(c.get("vendor")),
            "description": c["description"],
        }
        _sync(CookieDeclaration, lookup, values)

    published_at = now - timedelta(days=PUBLISHED_DAYS_AGO)
    if not PolicyVersion.objects.filter(site=site, published_at__isnull=False).exists():
        publish_first_policy(site, spec["policy"], url=site.policy_url, now=published_at)
    if not BannerVersion.objects.filter(site=site, published_at__isnull=False).exists():
        publish_banner(site, spec["banner"], now=published_at)
    return site


def publish_first_policy(site, policy, *, url, now):
    """Version 1 of the site's privacy policy, drafted and published through the policy service."""
    draft = create_draft(
        site, kind=PolicyKind.PRIVACY, url=url, text=policy["text"], change_summary=policy["change_summary"]
    )
    publish_policy(draft, now=now, effective_at=now)
    return draft


def load_demo(*, now=None):
    """Every demo site, in a stable order."""
    return [load_site(spec, now=now) for spec in SPECS]


def spec_for(site_key):
    return next((spec for spec in SPECS if spec["key"] == site_key), None)
