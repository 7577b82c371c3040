"""The Global Vendor List in use and each TCF site's part of it (see docs/tcf.md).

`load_gvl` stores a downloaded vendor-list.json (v3) and its translations; `gvl_subset` is what
a TCF site's visitors are served from this host (standard texts in their language, the chosen
vendors only); `tcf_config` is what the embed tells the TCF chunk. When a new GVL version gives a
chosen vendor more purposes, or the site chooses a new vendor, the site's `reask_gvl_version`
moves on and the banner asks again visitors whose choice was made under an older version.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from cookies import published
from cookies.models import GlobalVendorList, TcfSettings

TEXT_SECTIONS = ("purposes", "specialPurposes", "features", "specialFeatures", "stacks", "dataCategories")
VENDOR_FIELDS = (
    "id",
    "name",
    "purposes",
    "legIntPurposes",
    "flexiblePurposes",
    "specialPurposes",
    "features",
    "specialFeatures",
    "urls",
    "cookieMaxAgeSeconds",
    "usesCookies",
    "usesNonCookieAccess",
    "deviceStorageDisclosureUrl",
    "dataRetention",
    "dataDeclaration",
)


def check_gvl(data):
    """Raise a ValidationError unless `data` has the vendor-list.json v3 shape this code reads."""
    if not isinstance(data, dict):
        raise ValidationError("The vendor list must be a JSON object.")
    problems = []
    if data.get("gvlSpecificationVersion") != 3:
        problems.append("gvlSpecificationVersion must be 3")
    for field in ("vendorListVersion", "tcfPolicyVersion"):
        if not isinstance(data.get(field), int) or isinstance(data.get(field), bool) or data.get(field) < 1:
            problems.append(f"{field} must be a positive whole number")
    if not isinstance(data.get("vendors"), dict):
        problems.append("vendors must be an object keyed by vendor id")
    for section in TEXT_SECTIONS[:4]:
        if not isinstance(data.get(section), dict):
            problems.append(f"{section} must be an object keyed by id")
    if problems:
        raise ValidationError("Not a vendor-list.json v3: " + "; ".join(problems) + ".")


def current_gvl():
    """The GVL version in use (the newest loaded), or None."""
    return GlobalVendorList.objects.order_by("-version").first()


def _declared(vendor):
    """What a vendor asks for: a change that adds to it must be asked again."""
    return sorted(
        [f"p{p}" for p in vendor.get("purposes", [])]
        + [f"l{p}" for p in vendor.get("legIntPurposes", [])]
        + [f"f{p}" for p in vendor.get("flexiblePurposes", [])]
        + [f"s{p}" for p in vendor.get("specialFeatures", [])]
    )


def refresh_site(tcf, gvl):
    """Record what the site's vendors declare under `gvl`; if any vendor is new to the site or
    declares something it did not before, visitors' choices from older versions are asked again.
    Returns True when the site must re-ask."""
    if gvl is None:
        return False
    vendors = gvl.data.get("vendors", {})
    before = tcf.vendor_purposes or {}
    now = {str(v): _declared(vendors[str(v)]) for v in tcf.vendor_ids if str(v) in vendors}
    added = any(key not in before or set(now[key]) - set(before[key]) for key in now)
    tcf.vendor_purposes = now
    if added and tcf.reask_gvl_version < gvl.version:
        tcf.reask_gvl_version = gvl.version
    return added


def save_settings(tcf):
    """Save a site's TCF settings (validated), moving the re-ask point if vendors were added."""
    tcf.full_clean()
    refresh_site(tcf, current_gvl())
    tcf.save()
    published.invalidate(tcf.site.key)
    return tcf


@transaction.atomic
def load_gvl(data, translations=None):
    """Store a GVL version (or update its translations if already stored) and let every TCF site
    re-check its vendors against it. Returns (GlobalVendorList, created)."""
    check_gvl(data)
    translations = {lang.lower(): texts for lang, texts in (translations or {}).items() if isinstance(texts, dict)}
    gvl, created = GlobalVendorList.objects.get_or_create(
        version=data["vendorListVersion"],
        defaults={
            "tcf_policy_version": data["tcfPolicyVersion"],
            "last_updated": parse_datetime(data.get("lastUpdated") or ""),
            "data": data,
            "translations": translations,
        },
    )
    if not created and translations:
        gvl.translations = {**gvl.translations, **translations}
        gvl.save(update_fields=["translations"])
    newest = current_gvl()
    for tcf in TcfSettings.objects.select_related("site"):
        refresh_site(tcf, newest)
        tcf.save(update_fields=["vendor_purposes", "reask_gvl_version"])
        published.invalidate(tcf.site.key)
    return gvl, created


def site_tcf(site):
    """The site's TCF settings if TCF is switched on for it, else None."""
    return TcfSettings.objects.filter(site=site, enabled=True).first()


def gvl_subset(site, language):
    """The GVL as the site's visitors get it: standard texts in `language` when a translation
    was loaded (else English) and only the vendors the site works with."""
    tcf = site_tcf(site)
    gvl = current_gvl() if tcf is not None else None  # the list is large: read it only for TCF sites
    if gvl is None:
        return None
    data = gvl.data
    texts = gvl.translations.get(language) or {}
    subset = {
        "gvlSpecificationVersion": 3,
        "vendorListVersion": data["vendorListVersion"],
        "tcfPolicyVersion": data["tcfPolicyVersion"],
        "lastUpdated": data.get("lastUpdated"),
        "language": language if texts else "en",
    }
    for section in TEXT_SECTIONS:
        subset[section] = texts.get(section) or data.get(section) or {}
    vendors = data.get("vendors", {})
    subset["vendors"] = {
        str(v): {k: vendors[str(v)][k] for k in VENDOR_FIELDS if k in vendors[str(v)]}
        for v in sorted(tcf.vendor_ids)
        if str(v) in vendors and not vendors[str(v)].get("deletedDate")
    }
    return subset


def tcf_config(site, chunk_url, gvl_url, *, gdpr_applies):
    """What the embed gives the TCF chunk on a TCF site (None elsewhere): CMP identity, where to
    load the vendor list, the publisher's country, purposes and restrictions."""
    tcf = site_tcf(site)
    gvl = current_gvl() if tcf is not None else None  # the list is large: read it only for TCF sites
    if gvl is None:
        return None
    vendors = gvl.data.get("vendors", {})
    chosen = {
        str(v): [
            vendors[str(v)].get(k, []) for k in ("purposes", "legIntPurposes", "flexiblePurposes", "specialFeatures")
        ]
        for v in sorted(tcf.vendor_ids)
        if str(v) in vendors and not vendors[str(v)].get("deletedDate")
    }
    return {
        "cmp_id": settings.TCF_CMP_ID,
        "cmp_version": settings.TCF_CMP_VERSION,
        "gdpr_applies": gdpr_applies,
        "gvl_url": gvl_url,
        "gvl_version": gvl.version,
        "policy_version": gvl.tcf_policy_version,
        "reask": tcf.reask_gvl_version,
        "publisher_cc": tcf.publisher_cc,
        "publisher_purposes": sorted(tcf.publisher_purposes),
        "restrictions": tcf.publisher_restrictions,
        "ac_ids": sorted(tcf.google_ac_ids),
        "purpose_count": len(gvl.data.get("purposes", {})),
        "vendors": chosen,
        "chunk": chunk_url,
    }
