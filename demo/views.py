"""The landing page, and the demo host pages that embed the banner with one tag like a customer's site."""

import json

from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt, xframe_options_sameorigin
from django.views.decorators.http import require_safe

from consent.models import Purpose, Site
from consent.site_checks import site_origins
from cookies.models import CookieDeclaration
from cookies.services import current_banner
from demo.loader import SPECS


def home(request):
    """Landing page of a running platform: where the admin, the API docs and the demo sites are."""
    sites = list(Site.objects.order_by("name"))
    loaded = {site.key: site for site in sites}
    demos = [(loaded[spec["key"]], spec["demo_path"]) for spec in SPECS if spec["key"] in loaded]
    return render(request, "home.html", {"sites": sites, "demos": demos})


# Every demo site links the others (the specs say where each is served).
DEMO_SITES = {spec["key"]: spec["demo_path"] for spec in SPECS}
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
            "embed_url": f"{_origin(request)}/c/{site.key}.js?lang={language}",
            "analytics_cookies": _demo_cookie_names(site, "analytics", "_demo_analytics"),
            "ads_cookies": _demo_cookie_names(site, "advertising", "_demo_ads"),
            "others": [(path, others[key]) for key, path in DEMO_SITES.items() if key in others],
            # The same page on the site's other domains: following one hands the decision over.
            "siblings": [o + request.path for o in site_origins(site) if o != _origin(request)],
            "choice_labels": json.dumps(labels, ensure_ascii=False),
        }
        response = render(request, "cookies/demo.html", context)
    return _strict_csp(response, request)


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
