"""System checks for deployment mistakes that Django's own checks do not know about."""

from django.conf import settings
from django.core.checks import Warning, register

# Cache backends that every process of a deployment shares.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register("security", deploy=False)
def shared_cache_for_throttles(app_configs=None, **kwargs):
    """Throttles and sign-in lock-outs live in the cache: a per-process cache divides every limit
    by the number of processes (and a restart forgets lock-outs), so production needs Redis."""
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            "API throttles and console sign-in lock-outs are kept in a per-process cache.",
            hint="Set REDIS_URL (e.g. redis://redis:6379/0) so that every process shares one count.",
            id="consent.W001",
        )
    ]
