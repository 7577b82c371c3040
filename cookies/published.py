"""The published state of each site, built once and kept in the shared cache (Redis when
configured, local memory otherwise), precompressed, until something it depends on changes.

Per site one small entry holds whether the site exists and has a published banner, its
languages, and a random generation token. Each built body (the embed script, the config, the
details) is kept per (site, kind, language) with the generation it was built under, an ETag and
its identity, gzip and brotli encodings; each process also keeps the bodies it has read, so a
warm request reads only the small site entry from the shared cache and runs no SQL.

Saving or deleting a site, purpose, vendor, cookie declaration, policy or banner version drops
the site's entry (at once and again after the transaction commits), so the next request gets a
new generation and rebuilds. Entries also expire when a published policy comes into effect
(the re-consent floors change then) and after `PUBLISHED_CACHE_SECONDS` at most.
"""

import gzip
import hashlib
import math
import secrets

import brotli
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from consent.models import PolicyVersion, Purpose, Site, Vendor
from consent.process_caches import caches
from cookies.models import BannerVersion, CookieDeclaration, TcfSettings
from cookies.services import current_banner

PREFIX = "published:v1:"
# Bodies this process has already read from the shared cache, checked against the site's
# generation on every use: a warm request then reads one small entry from the shared cache.
MEMO_SIZE = 512
_memo: dict = {}
caches.register("published.memo", _memo.clear)


def _ttl():
    return getattr(settings, "PUBLISHED_CACHE_SECONDS", 3600)


def _site_entry_key(site_key):
    return f"{PREFIX}site:{site_key}"


def _body_key(site_key, kind, language):
    return f"{PREFIX}{kind}:{site_key}:{language}"


def _load_site(site_key, now):
    """The site's entry from the database, and how long it may be kept."""
    site = Site.objects.filter(key=site_key).first()
    if site is None:
        return {"gen": secrets.token_hex(8), "found": False}, 60
    published = current_banner(site) is not None
    next_effective = (
        PolicyVersion.objects.filter(site=site, published_at__isnull=False, effective_at__gt=now)
        .order_by("effective_at")
        .values_list("effective_at", flat=True)
        .first()
    )
    ttl = _ttl()
    if next_effective is not None:
        ttl = max(1, min(ttl, math.ceil((next_effective - now).total_seconds())))
    entry = {
        "gen": secrets.token_hex(8),
        "found": True,
        "published": published,
        "languages": site.languages or [site.default_language],
        "default_language": site.default_language,
        "default_jurisdiction": site.default_jurisdiction,
        "id": site.pk,
    }
    return entry, ttl


def site_entry(site_key):
    """{"gen", "found", "published", "languages", "default_language", "default_jurisdiction", "id"}:
    from the cache, else built."""
    key = _site_entry_key(site_key)
    entry = cache.get(key)
    if entry is None:
        entry, ttl = _load_site(site_key, timezone.now())
        entry["ttl"] = ttl
        cache.set(key, entry, ttl)
    return entry


def pick(entry, requested):
    """The site's language for a requested tag ("fr-CA" -> "fr"), else its default (no SQL)."""
    languages = entry["languages"]
    if requested:
        requested = requested.lower()
        for candidate in (requested, requested.split("-")[0]):
            if candidate in languages:
                return candidate
    default = entry["default_language"]
    return default if default in languages else languages[0]


def negotiate(entry, accept_language):
    """The best of the site's languages for an Accept-Language header, by q-value then order."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        language = tag.lower()
        for candidate in (language, language.split("-")[0]):
            if candidate in entry["languages"]:
                return candidate
    return pick(entry, None)


def encode(body):
    """A cache entry for a body: its ETag and its identity, gzip and brotli encodings."""
    digest = hashlib.sha256(body).hexdigest()[:32]
    return {
        "etag": digest,
        "identity": body,
        "gzip": gzip.compress(body, compresslevel=9, mtime=0),
        "br": brotli.compress(body, quality=11),
    }


def cached_body(site_key, entry, kind, language, build):
    """The encoded body of `kind` for (site, language): from the cache if built under the site's
    current generation, else `build()` (bytes) now, encoded once and stored."""
    key = _body_key(site_key, kind, language)
    hit = _memo.get(key)
    if hit is not None and hit["gen"] == entry["gen"]:
        return hit
    hit = cache.get(key)
    if hit is None or hit["gen"] != entry["gen"]:
        hit = {"gen": entry["gen"], **encode(build())}
        cache.set(key, hit, entry.get("ttl") or _ttl())
    if len(_memo) >= MEMO_SIZE:  # bounded: many sites and languages must not grow memory
        _memo.clear()
    _memo[key] = hit
    return hit


def invalidate(site_key):
    """Forget the site's published state now and once the current transaction commits."""
    key = _site_entry_key(site_key)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _site_key_of(instance):
    if isinstance(instance, Site):
        return instance.key
    return Site.objects.filter(pk=instance.site_id).values_list("key", flat=True).first()


def _changed(sender, instance, **kwargs):
    if kwargs.get("action", "post_").startswith("pre_"):
        return
    site_key = _site_key_of(instance)
    if site_key:
        invalidate(site_key)


def _site_renamed(sender, instance, **kwargs):
    """A site whose key changes: its old key must stop serving the old state too."""
    if instance.pk is None:
        return
    old = Site.objects.filter(pk=instance.pk).values_list("key", flat=True).first()
    if old and old != instance.key:
        invalidate(old)


pre_save.connect(_site_renamed, sender=Site, dispatch_uid="published-site-renamed")
for _model in (Site, Purpose, Vendor, CookieDeclaration, PolicyVersion, BannerVersion, TcfSettings):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"published-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"published-delete-{_model.__name__}")
for _through in (Vendor.purposes.through, PolicyVersion.affected_purposes.through):
    m2m_changed.connect(_changed, sender=_through, dispatch_uid=f"published-m2m-{_through.__name__}")
