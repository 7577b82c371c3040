"""The embed script a site adds with one tag, and the demo host pages that use it like a customer."""

import functools
import hashlib
import json
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt, xframe_options_sameorigin
from django.views.decorators.http import require_safe

from consent.exceptions import NotFound
from consent.models import Site
from cookies import published
from cookies.models import CookieDeclaration
from cookies.responses import encoded_response
from cookies.services import current_banner
from cookies.tcf import gvl_subset
from cookies.wire import details_payload, embed_config

RUNTIME = settings.BASE_DIR / "static" / "consent" / "banner.js"
# Browsers and CDNs keep the embed five minutes, then may serve it for a day more while they
# fetch the new one in the background.
EMBED_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
NOT_FOUND_CACHE_CONTROL = "public, max-age=60"
JS = "application/javascript; charset=utf-8"
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,3}$")


def _read_runtime():
    """The built runtime (static/consent/banner.js, see docs/banner.md) and a digest of it."""
    js = RUNTIME.read_text(encoding="utf-8").strip().rstrip(";")
    return js, hashlib.sha256(js.encode()).hexdigest()[:12]


_cached_runtime = functools.cache(_read_runtime)


def runtime():
    """(built runtime JS, its digest); re-read on every request only in DEBUG."""
    return _read_runtime() if settings.DEBUG else _cached_runtime()


def _js_literal(value):
    # JSON is valid JS; escaping "<" keeps "</script>" harmless if the body is ever inlined.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def embed_body(config):
    """The runtime wrapped so that CONFIG, its one free name, is the site's configuration."""
    js, _ = runtime()
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
    response, built once per (site, language, published state) and served precompressed."""
    entry = published.site_entry(site_key)
    if not entry["found"]:
        return _js_error(f"unknown site {site_key!r}")
    if not entry["published"]:
        return _js_error(f"site {site_key!r} has no published banner yet")
    requested = request.GET.get("lang")
    if requested is not None and not LANGUAGE_TAG.match(requested):
        return _js_error("lang must be a language tag such as fr or fr-CA", 400)
    language, vary = _language(request, entry)
    _, digest = runtime()
    try:
        hit = published.cached_body(
            site_key,
            entry,
            f"embed-{digest}",
            language,
            lambda: embed_body(embed_config(_site(site_key, entry), language)).encode(),
        )
    except NotFound as error:
        return _js_error(error.message)
    return _public(encoded_response(request, hit, JS, cache_control=EMBED_CACHE_CONTROL, vary=vary))


def _details_body(site_key, entry, language):
    payload = details_payload(_site(site_key, entry), language)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@require_safe
def details(request, site_key):
    """`GET /c/<site_key>/details.json?lang=`: the vendor and cookie lists the preferences dialog
    shows, and the texts in that language; fetched by the runtime only when needed."""
    entry = published.site_entry(site_key)
    if not entry["found"] or not entry["published"]:
        response = JsonResponse(
            {"error": {"code": "site.not_found", "message": f"No published banner for {site_key!r}."}}, status=404
        )
        response["Cache-Control"] = NOT_FOUND_CACHE_CONTROL
        return _public(response)
    requested = request.GET.get("lang")
    if requested is not None and not LANGUAGE_TAG.match(requested):
        response = JsonResponse(
            {
                "error": {
                    "code": "request.invalid",
                    "message": "lang must be a language tag such as fr or fr-CA.",
                    "fields": {"lang": ["Not a language tag."]},
                }
            },
            status=400,
        )
        return _public(response)
    language, vary = _language(request, entry)
    try:
        build = lambda: _details_body(site_key, entry, language)  # noqa: E731
        hit = published.cached_body(site_key, entry, "details", language, build)
    except NotFound as error:
        return _public(JsonResponse({"error": {"code": error.code, "message": error.message}}, status=404))
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

DEMO_SITES = {"network": "/demo/", "mailer": "/demo/mailer/"}


def _origin(request):
    return f"{request.scheme}://{request.get_host()}"


def _strict_csp(response, request):
    """The demo pages run under the strictest policy a customer might use: only this host."""
    origin = _origin(request)
    response["Content-Security-Policy"] = f"default-src 'self'; script-src {origin}; style-src {origin}"
    return response


def _demo_cookie_names(site, purpose, fallback):
    """Cookie names the demo's gated scripts set: the site's declared ones (patterns made concrete)."""
    names = [
        c.name.replace("*", "demo")
        for c in CookieDeclaration.objects.filter(site=site, purpose__key=purpose, storage="cookie")[:3]
    ]
    return " ".join(names) or fallback


@require_safe
def demo(request, site_key="network"):
    """A host page that embeds the banner with one tag, like a customer's site."""
    site = Site.objects.filter(key=site_key).first()
    if site is None or current_banner(site) is None:
        response = render(request, "cookies/demo_missing.html", {"site_key": site_key}, status=404)
        return _strict_csp(response, request)
    context = {
        "site": site,
        "embed_url": f"{_origin(request)}/c/{site.key}.js?lang={site.default_language}",
        "analytics_cookies": _demo_cookie_names(site, "analytics", "_demo_analytics"),
        "ads_cookies": _demo_cookie_names(site, "advertising", "_demo_ads"),
        "others": {key: path for key, path in DEMO_SITES.items() if key != site.key},
    }
    return _strict_csp(render(request, "cookies/demo.html", context), request)


@require_safe
@xframe_options_sameorigin
def demo_frame(request):
    """The gated iframe's content: stands for a third-party embed (video, map)."""
    return _strict_csp(render(request, "cookies/demo_frame.html"), request)


TCF_DEMO_SITE = "tcf"
TCF_DEMO_VENDOR = 755
# The TCF demo's ad frame is served from the other loopback name, so that it is cross-origin.
OTHER_HOST = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


def _other_origin(request):
    host, _, port = request.get_host().partition(":")
    return f"{request.scheme}://{OTHER_HOST.get(host, host)}{':' + port if port else ''}"


@require_safe
def demo_tcf(request):
    """The TCF demo: the stub, the banner and a test vendor's tag in the page and in a
    cross-origin frame, each reading consent through __tcfapi only."""
    site = Site.objects.filter(key=TCF_DEMO_SITE).first()
    if site is None or current_banner(site) is None:
        response = render(request, "cookies/demo_missing.html", {"site_key": TCF_DEMO_SITE}, status=404)
        return _strict_csp(response, request)
    origin, other = _origin(request), _other_origin(request)
    context = {
        "site": site,
        "stub_url": f"{origin}/c/tcf-stub.js",
        "embed_url": f"{origin}/c/{site.key}.js?lang={site.default_language}",
        "frame_url": f"{other}/demo/tcf/_frame/",
        "vendor_id": TCF_DEMO_VENDOR,
    }
    response = _strict_csp(render(request, "cookies/demo_tcf.html", context), request)
    response["Content-Security-Policy"] += f"; frame-src 'self' {other}"
    return response


@require_safe
@xframe_options_exempt
def demo_tcf_frame(request):
    """The demo's ad slot, framed by the TCF demo page from the other host name."""
    response = _strict_csp(render(request, "cookies/demo_tcf_frame.html", {"vendor_id": TCF_DEMO_VENDOR}), request)
    response["Content-Security-Policy"] += f"; frame-ancestors {_other_origin(request)}"
    return response


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
