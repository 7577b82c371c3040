"""Banner versions and the configuration the banner runtime is served.

A banner version freezes, at publishing, everything the visitor will be shown: purposes,
vendors, cookie declarations and the Consent Mode mapping (the snapshot), plus the texts in
every language. Consent events point at the version number, so what was shown stays provable.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from consent.exceptions import ConsentError, NotFound
from consent.models import Purpose, Vendor
from consent.policy_in_force import announced_policy, reconsent_floors
from consent.selectors import iso
from consent.services.audit import record_audit
from cookies.models import BannerVersion, CookieDeclaration

# Keys every language's texts should have; the runtime falls back to English for missing ones.
TEXT_KEYS = ("title", "body", "accept_all", "reject_all", "choose", "save", "close")


def catalogue_snapshot(site):
    """The site's purposes, vendors and cookies as the banner will show them."""
    purposes = list(Purpose.objects.filter(site=site).prefetch_related("vendors").order_by("position", "id"))
    vendors = list(Vendor.objects.filter(site=site).order_by("name"))
    cookies = CookieDeclaration.objects.filter(site=site).select_related("purpose", "vendor")
    return {
        "purposes": [
            {
                "key": p.key,
                "kind": p.kind,
                "legal_basis": p.legal_basis,
                "essential": p.always_allowed,
                "gpc_sensitive": p.gpc_sensitive,
                "requires_parental_consent": p.requires_parental_consent,
                "translations": p.translations,
                "vendors": sorted(v.key for v in p.vendors.all()),
            }
            for p in purposes
        ],
        "vendors": [{"key": v.key, "name": v.name, "country": v.country, "policy_url": v.policy_url} for v in vendors],
        "cookies": [
            {
                "name": c.name,
                "domain": c.domain,
                "storage": c.storage,
                "purpose": c.purpose.key,
                "vendor": c.vendor.key if c.vendor_id else None,
                "lifetime_seconds": c.lifetime_seconds,
                "description": c.description,
            }
            for c in cookies
        ],
        "consent_mode": site.consent_mode or {},
    }


def validate_texts(site, texts):
    if not isinstance(texts, dict) or not texts:
        raise ConsentError("banner.invalid", "Banner texts are required.", {"texts": ["Give texts per language."]})
    errors = {}
    for language, values in texts.items():
        if not isinstance(values, dict):
            errors[f"texts.{language}"] = ["Expected an object of text key to text."]
            continue
        missing = [k for k in TEXT_KEYS if not str(values.get(k, "")).strip()]
        if missing:
            errors[f"texts.{language}"] = [f"Missing: {', '.join(missing)}."]
    if errors:
        raise ConsentError("banner.invalid", "Some banner texts are missing.", errors)


@transaction.atomic
def save_banner_draft(site, texts, *, actor=None, draft=None, audit=True):
    """Write texts into the site's open draft (a new one if there is none); the one write path
    of banner drafts. `audit=False` when the draft is published straight after (that is audited)."""
    validate_texts(site, texts)
    if draft is None:
        draft = BannerVersion.objects.create(site=site, texts=texts, created_by=actor)
    else:
        if draft.site_id != site.pk or draft.published_at is not None:
            raise ConsentError("banner.not_a_draft", "Only an unpublished draft of this site can be edited.")
        draft.texts = texts
        draft.save(update_fields=["texts"])
    if audit:
        record_audit(action="banner.draft_saved", site=site, actor=actor, obj=draft, data={"languages": sorted(texts)})
    return draft


@transaction.atomic
def publish_banner_draft(draft, *, actor=None, now=None):
    """Freeze a draft: give it the next version number and the current snapshot."""
    if draft.published_at is not None:
        raise ConsentError("banner.already_published", "This banner version is already published.")
    validate_texts(draft.site, draft.texts)
    now = now or timezone.now()
    last = BannerVersion.objects.filter(site=draft.site).aggregate(m=Max("version"))["m"] or 0
    draft.version = last + 1
    draft.snapshot = catalogue_snapshot(draft.site)
    draft.published_at = now
    try:
        with transaction.atomic():
            draft.save(update_fields=["version", "snapshot", "published_at"])
    except IntegrityError:
        raise ConsentError("banner.conflict", "Another banner version was published at the same time; retry.") from None
    record_audit(
        action="banner.published",
        site=draft.site,
        actor=actor,
        obj=draft,
        data={"version": draft.version, "languages": sorted(draft.texts)},
        now=now,
    )
    return draft


def publish_banner(site, texts, *, actor=None, now=None):
    """Create and publish a banner version with these texts in one step."""
    validate_texts(site, texts)
    draft = BannerVersion.objects.create(site=site, texts=texts, created_by=actor)
    return publish_banner_draft(draft, actor=actor, now=now)


def current_banner(site):
    return BannerVersion.objects.filter(site=site, published_at__isnull=False).order_by("-version").first()


def pick_language(site, requested):
    languages = site.languages or [site.default_language]
    if requested:
        requested = requested.lower()
        for candidate in (requested, requested.split("-")[0]):
            if candidate in languages:
                return candidate
    return site.default_language if site.default_language in languages else languages[0]


def _text(translations, language, fallback_language, field):
    for lang in (language, fallback_language, "en"):
        values = translations.get(lang) if isinstance(translations, dict) else None
        value = values.get(field) if isinstance(values, dict) else None
        if isinstance(value, str) and value:
            return value
    return ""


def banner_config(site, language=None, *, banner=None, now=None):
    """The banner configuration in one language (the public config endpoint's wire format)."""
    banner = banner or current_banner(site)
    if banner is None:
        raise NotFound("banner.not_published", f"Site {site.key!r} has no published banner yet.")
    language = pick_language(site, language)
    return build_config(site, banner.snapshot, banner.texts, language, banner.version, now=now)


def build_config(site, snapshot, texts, language, banner_version, *, now=None):
    now = now or timezone.now()
    default = site.default_language
    policy = announced_policy(site)
    floors = reconsent_floors(site, now)
    purpose_ids = dict(Purpose.objects.filter(site=site).values_list("key", "id"))
    purposes = []
    for p in snapshot.get("purposes", []):
        translations = p.get("translations") or {}
        purposes.append(
            {
                "key": p["key"],
                "name": _text(translations, language, default, "name") or p["key"].replace("_", " ").capitalize(),
                "description": _text(translations, language, default, "description"),
                "kind": p.get("kind", "cookie"),
                "legal_basis": p["legal_basis"],
                "essential": p["essential"],
                "gpc_sensitive": p["gpc_sensitive"],
                "requires_parental_consent": p.get("requires_parental_consent", False),
                "vendors": p.get("vendors", []),
                # Consents given under an older policy than this must be asked again.
                "min_policy_version": floors.get(purpose_ids.get(p["key"]), 0),
            }
        )
    language_texts = dict(texts.get(default) or {})
    language_texts.update(texts.get(language) or {})
    return {
        "site": {
            "key": site.key,
            "name": site.name,
            "languages": site.languages or [default],
            "default_language": default,
            "consent_lifetime_days": site.consent_lifetime_days,
            "regime": site.regime,
            "regime_by_country": site.regime_by_country,
            "policy_url": site.policy_url,
        },
        "language": language,
        "banner_version": banner_version,
        "policy_version": policy.version if policy else None,
        "policy": (
            {
                "version": policy.version,
                "url": policy.url or site.policy_url,
                "published_at": iso(policy.published_at),
                "effective_at": iso(policy.effective_at),
                "material": policy.material,
                "change_summary": policy.change_summary,
            }
            if policy
            else None
        ),
        "purposes": purposes,
        "vendors": snapshot.get("vendors", []),
        "cookies": snapshot.get("cookies", []),
        "texts": language_texts,
        "consent_mode": snapshot.get("consent_mode", {}),
    }
