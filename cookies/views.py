"""The embed script a site adds with one tag, and the demo host pages that use it like a customer."""

import functools
import hashlib
import json
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from consent.client_ip import client_ip
from consent.exceptions import NotFound, error_json
from consent.models import Site
from cookies import published
from cookies.regime_config import embed_jurisdiction
from cookies.responses import encoded_response
from cookies.tcf import gvl_subset
from cookies.wire import details_payload, embed_config

RUNTIME = settings.BASE_DIR / "static" / "consent" / "banner.js"
# The same runtime built with preview mode in, for the console's banner editor (docs/banner.md).
PREVIEW_RUNTIME = settings.BASE_DIR / "static" / "consent" / "banner-preview.js"
# Browsers and CDNs keep the embed five minutes, then may serve it for a day more while they
# fetch the new one in the background.
EMBED_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
# A jurisdiction read from the IP database depends on the client's address: browsers only.
PRIVATE_EMBED_CACHE_CONTROL = "private, max-age=300"
NOT_FOUND_CACHE_CONTROL = "public, max-age=60"
JS = "application/javascript; charset=utf-8"
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,3}$")


def _read_runtime(path=RUNTIME):
    """The built runtime (static/consent/banner.js, see docs/banner.md) and a digest of it."""
    js = path.read_text(encoding="utf-8").strip().rstrip(";")
    return js, hashlib.sha256(js.encode()).hexdigest()[:12]


_cached_runtime = functools.cache(_read_runtime)


def runtime(path=RUNTIME):
    """(built runtime JS, its digest); re-read on every request only in DEBUG."""
    return _read_runtime(path) if settings.DEBUG else _cached_runtime(path)


def _js_literal(value):
    # JSON is valid JS; escaping "<" keeps "</script>" harmless if the body is ever inlined.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def embed_body(config, *, preview=False):
    """The runtime wrapped so that CONFIG, its one free name, is the site's configuration."""
    js, _ = runtime(PREVIEW_RUNTIME if preview else RUNTIME)
    return f"(function(CONFIG){{{js}}})({_js_literal(config)});\n"


def _public(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _js_error(message, status=404):
    response = HttpResponse(f"/* consent: {message} */\n", status=status, content_type=JS)
    response["Cache-Control"] = NOT_FOUND_CACHE_CONTROL
    return _public(response)


def _site(site_key, entry):
    """The site to build from; if it went away without a signal (raw SQL), forget it and 404."""
    site = Site.objects.filter(pk=entry["id"]).first()
    if site is None:
        published.invalidate(site_key)
        raise NotFound("site.not_found", f"No site with key {site_key!r}.")
    return site


def _language(request, entry):
    """(language, vary): `?lang=` if given (the answer then varies on nothing else), else the
    best of Accept-Language (and the answer varies on it)."""
    requested = request.GET.get("lang")
    if requested:
        return published.pick(entry, requested), ["Accept-Encoding"]
    return published.negotiate(entry, request.META.get("HTTP_ACCEPT_LANGUAGE")), ["Accept-Encoding", "Accept-Language"]


@require_safe
def embed(request, site_key):
    """`GET /c/<site_key>.js`: the runtime with the site's published configuration, in one
    response, built once per (site, language, jurisdiction, published state) and served
    precompressed; the answer varies on the geo header (see cookies/regime_config.py)."""
    entry = published.site_entry(site_key)
    if not entry["found"]:
        return _js_error(f"unknown site {site_key!r}")
    if not entry["published"]:
        return _js_error(f"site {site_key!r} has no published banner yet")
    requested = request.GET.get("lang")
    if requested is not None and not LANGUAGE_TAG.match(requested):
        return _js_error("lang must be a language tag such as fr or fr-CA", 400)
    language, vary = _language(request, entry)
    place, geo_vary, shared = embed_jurisdiction(request.META, client_ip(request), entry)
    _, digest = runtime()
    try:
        hit = published.cached_body(
            site_key,
            entry,
            f"embed-{digest}-{place}",
            language,
            lambda: embed_body(embed_config(_site(site_key, entry), language, jurisdiction=place)).encode(),
        )
    except NotFound as error:
        return _js_error(error.message)
    cache_control = EMBED_CACHE_CONTROL if shared else PRIVATE_EMBED_CACHE_CONTROL
    response = encoded_response(request, hit, JS, cache_control=cache_control, vary=vary + geo_vary)
    return _public(response)


def _details_body(site_key, entry, language):
    payload = details_payload(_site(site_key, entry), language)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@require_safe
def details(request, site_key):
    """`GET /c/<site_key>/details.json?lang=`: the vendor and cookie lists the preferences dialog
    shows, and the texts in that language; fetched by the runtime only when needed."""
    entry = published.site_entry(site_key)
    if not entry["found"] or not entry["published"]:
        response = error_json(404, "site.not_found", f"No published banner for {site_key!r}.")
        response["Cache-Control"] = NOT_FOUND_CACHE_CONTROL
        return _public(response)
    requested = request.GET.get("lang")
    if requested is not None and not LANGUAGE_TAG.match(requested):
        response = error_json(
            400,
            "request.invalid",
            "lang must be a language tag such as fr or fr-CA.",
            {"lang": ["Not a language tag."]},
        )
        return _public(response)
    language, vary = _language(request, entry)
    try:
        build = lambda: _details_body(site_key, entry, language)  # noqa: E731
        hit = published.cached_body(site_key, entry, "details", language, build)
    except NotFound as error:
        return _public(JsonResponse(error.envelope(), status=404))
    return _public(encoded_response(request, hit, "application/json", cache_control=EMBED_CACHE_CONTROL, vary=vary))


@require_safe
def tcf_vendor_list(request, site_key):
    """`GET /c/<site_key>/tcf/vendor-list.json?lang=`: the Global Vendor List in use, limited to
    the site's vendors, standard texts in that language; served from this host (TCF sites only)."""
    entry = published.site_entry(site_key)
    requested = request.GET.get("lang")
    if requested is not None and not LANGUAGE_TAG.match(requested):
        return _public(_json_error("request.invalid", "lang must be a language tag such as fr or fr-CA.", 400))
    if not entry["found"] or not entry["published"]:
        return _public(_json_error("site.not_found", f"No published banner for {site_key!r}.", 404))
    language, vary = _language(request, entry)

    def build():
        subset = gvl_subset(_site(site_key, entry), language)
        return json.dumps(subset, separators=(",", ":"), ensure_ascii=False).encode()

    try:
        hit = published.cached_body(site_key, entry, "tcf-gvl", language, build)
    except NotFound as error:
        return _public(_json_error(error.code, error.message, 404))
    if hit["identity"] == b"null":
        return _public(_json_error("tcf.not_enabled", f"Site {site_key!r} does not use IAB TCF.", 404))
    return _public(encoded_response(request, hit, "application/json", cache_control=EMBED_CACHE_CONTROL, vary=vary))


TCF_STUB = settings.BASE_DIR / "static" / "consent" / "tcf-stub.js"


@require_safe
def tcf_stub(request):
    """`GET /c/tcf-stub.js`: the __tcfapi stub a TCF site loads first, synchronously, so that
    vendors' tags can queue calls before the banner has loaded (see docs/tcf.md)."""
    response = HttpResponse(TCF_STUB.read_bytes(), content_type=JS)
    response["Cache-Control"] = "public, max-age=86400"
    return _public(response)


def _json_error(code, message, status):
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    response["Cache-Control"] = NOT_FOUND_CACHE_CONTROL
    return response


# --- demo host pages ------------------------------------------------------------------------


@require_safe
def gpc_support(request):
    """The Global Privacy Control support resource (/.well-known/gpc.json) of this host.

    Every site served here honours GPC: purposes marked GPC-sensitive are refused without asking
    when the browser sends the signal, and the refusal is recorded with method `gpc`.
    """
    response = JsonResponse({"gpc": True, "lastUpdate": settings.GPC_LAST_UPDATE})
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response
