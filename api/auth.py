"""Who may call the API: API keys for the server endpoints, throttles for everyone.

A key belongs to one site and may carry scopes; an empty scope list grants every scope.
"""

import re
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from consent.client_ip import client_ip
from consent.exceptions import ConsentError
from consent.models import ApiKey
from consent.tokens import find_api_key

# How stale `last_used_at` may get before a request writes it again: one write per key per minute.
LAST_USED_RESOLUTION = timedelta(seconds=60)
_KEY_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")


def touch(key, now=None):
    """Record when a key was last used, writing at most once a minute per key."""
    now = now or timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <api key>`. Sets request.auth to the ApiKey (with its site)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise exceptions.AuthenticationFailed("Send the API key as 'Authorization: Bearer <api key>'.")
        key = find_api_key(token) if _KEY_SHAPE.match(token) else None
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid or has been revoked.")
        touch(key)
        return (None, key)

    def authenticate_header(self, request):
        return 'Bearer realm="consent-api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A site's API key, created with `manage.py create_api_key SITE_KEY`.",
        }


class HasApiKeyScope(BasePermission):
    """A live key, for the site the request names (if any), holding the view's `required_scope`."""

    def has_permission(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated("An API key is required: 'Authorization: Bearer <api key>'.")
        named = request.query_params.get("site")
        if named is not None and named != key.site.key:
            raise ConsentError(
                "auth.wrong_site",
                "This API key belongs to another site.",
                {"site": [f"The key is not valid for site {named[:64]!r}."]},
                status=403,
            )
        scope = getattr(view, "required_scope", None)
        if scope and key.scopes and scope not in key.scopes:
            raise ConsentError(
                "auth.missing_scope",
                f"This API key lacks the scope {scope!r}.",
                {"authorization": [f"Scope {scope!r} is required."]},
                status=403,
            )
        return True


class CountingThrottle(SimpleRateThrottle):
    """A request counter per client and fixed window: one small cache entry, incremented.

    DRF's own throttle keeps the time of every request of the window in one cache entry that it
    reads and writes whole on each request: at a server's thousands of calls a minute that list
    costs more than the call. A fixed window may let up to twice the rate through across a window
    edge, which is fine for what this is for: keeping one client from swamping the service.
    """

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{ident}:{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # first request of the window (or the entry just expired)
            count = 1 if self.cache.add(key, 1, self.duration + 1) else self.cache.incr(key)
        return count <= self.num_requests

    def wait(self):
        return max(self.window_ends - self.now, 1)


class PublicThrottle(CountingThrottle):
    """The banner endpoints, per client address."""

    scope = "public"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class ServerThrottle(CountingThrottle):
    """The server endpoints, per API key."""

    scope = "server"

    def get_cache_key(self, request, view):
        key = request.auth
        ident = key.prefix if isinstance(key, ApiKey) else client_ip(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
