"""The embed script a site adds with one tag, and the demo host pages that use it like a customer."""

import functools
import hashlib
import json
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import translation
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from consent import demo
from consent.exceptions import NotFound
from consent.models import Purpose, Site
from cookies.models import CookieDeclaration
from cookies.services import current_banner, embed_payload

RUNTIME_DIR = settings.BASE_DIR / "static" / "consent"
EMBED_CACHE_CONTROL = "public, max-age=300"
JS = "application/javascript; charset=utf-8"


def compact_js(source):
    """Drop whole-line `//` comments, indentation and blank lines (the runtime is written so that
    this is safe: no multi-line strings, comments only on their own lines)."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def compact_css(source):
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"\s+", " ", source)
    return re.sub(r"\s*([{};,>])\s*", r"\1", source).strip()


def _read_runtime():
    js = (RUNTIME_DIR / "banner.js").read_text(encoding="utf-8")
    css = (RUNTIME_DIR / "banner.css").read_text(encoding="utf-8")
    return compact_js(js).rstrip().rstrip(";"), compact_css(css)


_cached_runtime = functools.cache(_read_runtime)


def runtime():
    """(runtime JS expression, CSS) as served; re-read on every request only in DEBUG."""
    return _read_runtime() if settings.DEBUG else _cached_runtime()


def _static_url(path):
    try:
        return static(path)
    except ValueError:  # hashed storage without collectstatic: the plain URL still serves in development
        return settings.STATIC_URL + path


def _js_literal(value):
    # JSON is valid JS; escaping "<" keeps "</script>" harmless if the body is ever inlined.
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


def _js_response(body, status=200, **headers):
    response = HttpResponse(body, status=status, content_type=JS)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@require_safe
def embed(request, site_key):
    """`GET /c/<site_key>.js`: the runtime with the site's published configuration, in one response."""
    site = Site.objects.filter(key=site_key).first()
    if site is None:
        return _js_response(f"/* consent: unknown site {site_key!r} */\n", 404, Cache_Control="public, max-age=60")
    language = request.GET.get("lang") or None
    try:
        config = embed_payload(site, language)
    except NotFound:
        return _js_response(
            f"/* consent: site {site_key!r} has no published banner yet */\n", 404, Cache_Control="public, max-age=60"
        )
    config["css_url"] = request.build_absolute_uri(_static_url("consent/banner.css"))
    js, css = runtime()
    body = f"{js}({_js_literal(config)},{_js_literal(css)});\n"
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache_Control": EMBED_CACHE_CONTROL}
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in wanted or etag in (tag.removeprefix("W/") for tag in wanted):
        return _js_response("", 304, **headers)
    return _js_response(body, **headers)


# --- demo host pages ------------------------------------------------------------------------

# Every demo site links the others (the specs say where each is served).
DEMO_SITES = {spec["key"]: spec["demo_path"] for spec in demo.SPECS}
DEMO_PURPOSES = ("analytics", "advertising")  # what the demo page's gated tags ask for


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
    language = site.default_language
    names = {p.key: p.text(language, "name") for p in Purpose.objects.filter(site=site, key__in=DEMO_PURPOSES)}
    others = dict(Site.objects.filter(key__in=DEMO_SITES).exclude(pk=site.pk).values_list("key", "name"))
    with translation.override(language):  # the page speaks the site's language, like the banner
        labels = {"purposes": names, "undecided": _("not decided"), "granted": _("granted"), "refused": _("refused")}
        context = {
            "site": site,
            "embed_url": f"{_origin(request)}/c/{site.key}.js",
            "analytics_cookies": _demo_cookie_names(site, "analytics", "_demo_analytics"),
            "ads_cookies": _demo_cookie_names(site, "advertising", "_demo_ads"),
            "others": [(path, others[key]) for key, path in DEMO_SITES.items() if key in others],
            "choice_labels": json.dumps(labels, ensure_ascii=False),
        }
        response = render(request, "cookies/demo.html", context)
    return _strict_csp(response, request)


@require_safe
@xframe_options_sameorigin
def demo_frame(request):
    """The gated iframe's content: stands for a third-party embed (video, map)."""
    return _strict_csp(render(request, "cookies/demo_frame.html"), request)


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
