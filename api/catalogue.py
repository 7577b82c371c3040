"""A short-lived, per-process cache of a site with its purposes, vendors and published versions.

The decision endpoint is the hot path: every banner click lands there. Reading the site, its
purposes, its vendors and the versions a decision may name costs several queries per request,
yet they change only when staff edit or publish. Each process keeps them for
`SITE_CACHE_SECONDS` (default 5 s); saving or deleting any of them clears this process's copy
at once, and other processes see the change when their copy expires.
"""

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from consent.models import PolicyVersion, Purpose, Site, Vendor
from consent.policy_in_force import current_policy_version
from consent.process_caches import caches
from cookies.models import BannerVersion

_lock = threading.Lock()
_entries: dict[str, tuple[float, "Catalogue | None"]] = {}


@dataclass(frozen=True)
class Catalogue:
    site: Site
    purposes: dict = field(default_factory=dict)  # key -> Purpose, in display order
    vendors: dict = field(default_factory=dict)  # key -> Vendor, with purposes prefetched
    policy_versions: frozenset = frozenset()  # published policy version numbers
    banner_versions: frozenset = frozenset()  # published banner version numbers
    policy_in_force: int | None = None  # what a decision that names no policy version was made under

    def as_pair(self):
        """The (purposes, vendors) pair that consent.services.decisions expects."""
        return self.purposes, self.vendors


def _ttl():
    return getattr(settings, "SITE_CACHE_SECONDS", 5)


def _load(site_key):
    site = Site.objects.filter(key=site_key).first()
    if site is None:
        return None
    purposes = {p.key: p for p in Purpose.objects.filter(site=site).order_by("position", "id")}
    vendors = {v.key: v for v in Vendor.objects.filter(site=site).prefetch_related("purposes")}
    policies = PolicyVersion.objects.filter(site=site, published_at__isnull=False)
    banners = BannerVersion.objects.filter(site=site, published_at__isnull=False)
    return Catalogue(
        site=site,
        purposes=purposes,
        vendors=vendors,
        policy_versions=frozenset(policies.values_list("version", flat=True)),
        banner_versions=frozenset(banners.values_list("version", flat=True)),
        policy_in_force=current_policy_version(site),
    )


def get_catalogue(site_key):
    """The site's catalogue, or None for an unknown key. Unknown keys are cached briefly too."""
    now = time.monotonic()
    entry = _entries.get(site_key)
    if entry is not None and entry[0] > now:
        return entry[1]
    catalogue = _load(site_key)
    ttl = _ttl()
    if ttl > 0:
        with _lock:
            if len(_entries) > 10_000:  # bounded: many random unknown keys must not grow memory
                _entries.clear()
            _entries[site_key] = (now + ttl, catalogue)
    return catalogue


def clear(**kwargs):
    """Forget every cached site in this process (signal receiver and test helper)."""
    with _lock:
        _entries.clear()


caches.register("api.catalogue", clear)

for _model in (Site, Purpose, Vendor, PolicyVersion, BannerVersion):
    post_save.connect(clear, sender=_model, dispatch_uid=f"catalogue-save-{_model.__name__}")
    post_delete.connect(clear, sender=_model, dispatch_uid=f"catalogue-delete-{_model.__name__}")
m2m_changed.connect(clear, sender=Vendor.purposes.through, dispatch_uid="catalogue-vendor-purposes")
