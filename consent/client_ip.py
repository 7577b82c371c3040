"""The caller's address, read in one place: throttles, sign-in lock-outs and the event record.

Without `BEHIND_PROXY` the address is the socket peer (`REMOTE_ADDR`); any `X-Forwarded-For`
is whatever the client chose to send and is ignored. Behind `TRUSTED_PROXY_COUNT` proxies
(default 1) each proxy appends the address it saw to `X-Forwarded-For`, so the client is the
entry that many places from the right: entries further left are untrusted. An entry that is not
an IP address (or a header with too few entries) falls back to the peer address, so a
malformed header can neither crash a request nor pick an arbitrary throttle key.
"""

import functools
import ipaddress

from django.conf import settings


def _valid(value):
    value = (value or "").strip()
    if not value or len(value) > 64:
        return ""
    return _canonical(value)


@functools.lru_cache(maxsize=4096)
def _canonical(value):
    """Parsed once per process per address: the throttle and the view both ask on every request."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def client_ip(request):
    """The client address as a canonical IP string, or "" when there is none that is valid."""
    meta = getattr(request, "META", None) or {}
    peer = _valid(meta.get("REMOTE_ADDR"))
    if not getattr(settings, "BEHIND_PROXY", False):
        return peer
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    trusted = max(int(getattr(settings, "TRUSTED_PROXY_COUNT", 1)), 1)
    if len(hops) < trusted:
        return peer
    return _valid(hops[-trusted]) or peer
