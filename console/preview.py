"""The banner editor's preview: the real runtime with the draft configuration, in a sandboxed frame.

The editor keeps the texts it previews in the staff member's session (the last few per site)
and frames `/admin/console/banner/<site>/preview/?d=<digest>&lang=..&regime=..&view=..` once
per language and width. That page runs the runtime the embed serves, built from the same
sources with its preview mode in (static/consent/banner-preview.js), wrapped around the
configuration `cookies.wire.embed_config` builds, but from the draft texts and the catalogue as
it is now (what publishing would freeze), with `preview: true` (the runtime then posts and
stores nothing, see docs/banner.md) and the regime to show. Its own Content-Security-Policy
allows only that script (by nonce) and the runtime's own chunks, sandboxes the page (`sandbox allow-scripts`: an opaque
origin without cookies or storage, which cannot reach the console) and lets only the console
frame it.
"""

import hashlib
import json
import secrets
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_info

from consent.models import Regime, Site
from consent.regimes import settings_for
from consent.roles import can
from cookies.models import BannerVersion
from cookies.services import catalogue_snapshot
from cookies.views import embed_body
from cookies.wire import details_payload, embed_config

SESSION_KEY = "banner_preview"
KEEP = 4  # drafts remembered per site, so that an older editor tab still previews its own texts
VIEWS = {"banner": "Banner", "prefs": "Preferences"}
# (name, width, height) of the frames: a phone and a desktop as visitors have them.
WIDTHS = (("phone", 360, 720), ("desktop", 1280, 800))


def draft_config(site, texts, language, regime):
    """The embed configuration the draft would be served with if published now, in preview mode."""
    banner = BannerVersion(site=site, texts=texts, snapshot=catalogue_snapshot(site))
    config = embed_config(site, language, banner=banner)
    config["preview"] = True
    config["regime"] = regime
    # The dialog's details come with the configuration: the frame fetches nothing.
    config["details"] = details_payload(site, language, banner=banner)
    return config


def remember(request, site, texts):
    """Keep `texts` in the session for the preview frames; return the digest that names them."""
    digest = hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()[:16]
    store = request.session.get(SESSION_KEY) or {}
    kept = [entry for entry in store.get(site.key, []) if entry[0] != digest][-(KEEP - 1) :]
    store[site.key] = kept + [[digest, texts]]
    request.session[SESSION_KEY] = store
    return digest


def recall(request, site, digest):
    store = request.session.get(SESSION_KEY) or {}
    return next((texts for key, texts in store.get(site.key, []) if key == digest), None)


def choice(data, site):
    """The regime and view the editor previews (form or query values; unknown ones fall back)."""
    regime = data.get("preview_regime")
    if regime not in Regime.values:
        regime = site.regime if site.regime in Regime.values else Regime.OPT_IN.value
    view = data.get("preview_view")
    return regime, view if view in VIEWS else "banner"


def language_name(language):
    try:
        return get_language_info(language)["name"]
    except KeyError:
        return language


def frames(request, site, texts, languages, regime, view):
    """One row per language, each with a phone and a desktop frame of the draft."""
    digest = remember(request, site, texts)
    base = reverse("admin:console_banner_preview", args=[site.key])
    rows = []
    for language in languages:
        query = urlencode({"d": digest, "lang": language, "regime": regime, "view": view})
        rows.append(
            {
                "language": language,
                "name": language_name(language),
                "frames": [
                    {"name": name, "width": width, "height": height, "url": f"{base}?{query}"}
                    for name, width, height in WIDTHS
                ],
            }
        )
    return rows


def _refuse(status, message):
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _policy(origin, nonce):
    static = urljoin(origin + "/", settings.STATIC_URL)  # also right when STATIC_URL is another host
    return "; ".join(
        [
            "default-src 'none'",
            # The runtime inline (by nonce); the runtime's optional chunks (docs/banner.md) from our static files.
            f"script-src 'nonce-{nonce}' {static}consent/",
            f"style-src {static}console/ {static}consent/",
            f"img-src {origin} data:",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {origin}",
            "sandbox allow-scripts",
        ]
    )


def banner_preview(request, site_key):
    """The framed preview page: a blank host page running the runtime with the draft configuration."""
    if not can(request.user, "edit_banner"):
        return _refuse(403, "You may not edit banners.")
    site = get_object_or_404(Site, key=site_key)
    languages = list(site.languages or [site.default_language])
    language, regime, view = request.GET.get("lang"), request.GET.get("regime"), request.GET.get("view", "banner")
    if language not in languages:
        return _refuse(400, f"lang must be one of the site's languages: {', '.join(languages)}.")
    if regime not in Regime.values:
        return _refuse(400, f"regime must be one of: {', '.join(Regime.values)}.")
    if view not in VIEWS:
        return _refuse(400, f"view must be one of: {', '.join(VIEWS)}.")
    texts = recall(request, site, request.GET.get("d", ""))
    if texts is None:
        return _refuse(404, "This preview is no longer kept: press Preview in the banner editor again.")
    shown = settings_for(site, regime).get("display") != "none"
    nonce = secrets.token_urlsafe(16)
    context = {
        "site": site,
        "language": language,
        "regime": Regime(regime).label,
        "nonce": nonce,
        "shown": shown,
        "open_prefs": view == "prefs",
        "script": mark_safe(embed_body(draft_config(site, texts, language, regime), preview=True)) if shown else "",  # noqa: S308
    }
    response = TemplateResponse(request, "console/banner_preview.html", context)
    origin = request.build_absolute_uri("/").rstrip("/")
    response["Content-Security-Policy"] = _policy(origin, nonce)
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "no-store"
    return response
