"""Request guards for the API that must run before any view reads the body, and CORS.

- Bodies over `API_MAX_BODY_BYTES` (16 KB) get 413 before they are read. One endpoint takes
  more: `POST /api/v1/consents/check` carries up to 10,000 subject references, so its limit is
  `API_CHECK_MAX_BODY_BYTES` (1 MB).
- CORS for the public banner endpoints (`/api/v1/sites/{site_key}/...`) is allowed only for
  the origins listed on that site (`Site.allowed_origins`); preflights from other origins get
  403, and a POST carrying a foreign Origin is refused. Same-origin requests always pass.
- Unrouted paths under /api/ answer 404 in the API's error envelope rather than an HTML page.
"""

import re

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from consent.exceptions import error_json

_SITE_PATH = re.compile(r"^/api/v1/sites/(?P<key>[-a-zA-Z0-9_]{1,64})/")
LARGE_BODY_PATHS = {"/api/v1/consents/check": "API_CHECK_MAX_BODY_BYTES"}
CORS_MAX_AGE = 600


def _body_limit(path):
    setting = LARGE_BODY_PATHS.get(path.rstrip("/"))
    if setting:
        return getattr(settings, setting, 1024 * 1024)
    return settings.API_MAX_BODY_BYTES


def _normalise(origin):
    return origin.strip().rstrip("/").lower()


def _own_origin(request):
    try:
        return f"{request.scheme}://{request.get_host()}".lower()
    except DisallowedHost:
        return None


def _origin_allowed(site_key, origin):
    """True if the site lists this origin; None if the site is unknown."""
    from api.catalogue import get_catalogue

    catalogue = get_catalogue(site_key)
    if catalogue is None:
        return None
    wanted = _normalise(origin)
    return any(isinstance(o, str) and _normalise(o) == wanted for o in catalogue.site.allowed_origins or [])


class ApiGuardMiddleware:
    """Body-size limits, per-site CORS and JSON 404s for /api/ (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if not path.startswith("/api/"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_json(400, "request.bad_length", "The Content-Length header is not a number.")
        limit = _body_limit(path)
        if length > limit:
            return error_json(413, "request.too_large", f"The request body is {length} bytes; the limit is {limit}.")
        match = _SITE_PATH.match(path)
        origin = request.META.get("HTTP_ORIGIN")
        if match is None:
            return self._json_404(path, self.get_response(request))
        if origin is None:
            response = self.get_response(request)
        else:
            response = self._cors(request, match["key"], origin)
        # Answers differ by Origin (CORS headers): shared caches must keep them apart.
        patch_vary_headers(response, ("Origin",))
        return response

    def _cors(self, request, site_key, origin):
        same_origin = _normalise(origin) == _own_origin(request)
        allowed = True if same_origin else _origin_allowed(site_key, origin)
        preflight = request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META
        if preflight:
            if allowed is None:
                response = error_json(404, "site.not_found", "No site with this key.")
            elif not allowed:
                response = error_json(
                    403, "cors.origin_not_allowed", "This origin is not allowed for the site.", {"origin": [origin]}
                )
            else:
                response = HttpResponse(status=204)
                response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                response["Access-Control-Allow-Headers"] = "Content-Type, If-None-Match"
                response["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
        elif allowed is False and request.method not in ("GET", "HEAD"):
            response = error_json(
                403, "cors.origin_not_allowed", "This origin is not allowed for the site.", {"origin": [origin]}
            )
        else:
            response = self._json_404(request.path, self.get_response(request))
        if allowed and not same_origin:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        return response

    @staticmethod
    def _json_404(path, response):
        if response.status_code == 404 and not response.get("Content-Type", "").startswith("application/json"):
            return error_json(404, "not_found", f"No API endpoint at {path[:200]!r}.")
        return response
