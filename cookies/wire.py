"""What the banner runtime is sent: the lean configuration baked into the embed script, and the
details (vendor and cookie lists, texts in one language) it fetches when the preferences open.

The embed carries one language and only the fields the runtime reads (see docs/banner.md), so
that runtime, styles and configuration fit in one small response.
"""

from django.conf import settings
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse

from consent.regimes import OPT_IN
from consent.selectors import coming_policy_change
from cookies.regime_config import regime_fields
from cookies.services import banner_config
from cookies.tcf import tcf_config
from cookies.texts import RUNTIME_TEXTS


def _static_url(path):
    try:
        return static(path)
    except ValueError:  # hashed storage without collectstatic: the plain URL still serves in development
        return settings.STATIC_URL + path


def shown(purpose):
    """The banner asks about consent-based purposes that are not communications (those are asked
    in the site's own forms) and shows essential ones as always on."""
    return purpose["kind"] != "communication" and (purpose["essential"] or purpose["legal_basis"] == "consent")


# The texts the banner reads (and the preferences dialog reads besides its own: its title, "Save",
# "Always on" come with the details it opens with); the rest comes with the details.
EMBED_TEXT_KEYS = (
    "title",
    "body",
    "accept_all",
    "reject_all",
    "choose",
    "close",
    "dismiss_notice",
    "gpc_notice",
    "reload_notice",
    "reload",
    "policy_link",
)


def _texts(config, keys=None):
    language = config["language"]
    texts = {**RUNTIME_TEXTS["en"], **RUNTIME_TEXTS.get(language, {}), **config["texts"]}
    return texts if keys is None else {k: texts[k] for k in keys if k in texts}


def embed_config(site, language=None, *, now=None, banner=None, jurisdiction=""):
    """The configuration the embed script starts with: one language, runtime fields only.
    `banner` is the published version unless given (the console previews an unsaved draft).

    Flags that are false and floors that are 0 are left out (the runtime reads them as such);
    purpose descriptions come with the details, when the preferences dialog opens. The regime
    block is the one of `jurisdiction` (see cookies/regime_config.py).
    """
    config = banner_config(site, language, banner=banner, now=now)
    purposes = []
    for p in config["purposes"]:
        if not shown(p):
            continue
        item = {"key": p["key"], "name": p["name"]}
        if p["essential"]:
            item["essential"] = True
        if p["gpc_sensitive"]:
            item["gpc_sensitive"] = True
        if p["min_policy_version"]:
            item["min_policy_version"] = p["min_policy_version"]
        purposes.append(item)
    cookies = []
    for c in config["cookies"]:
        item = {"name": c["name"], "purpose": c["purpose"]}
        if c.get("storage", "cookie") != "cookie":
            item["storage"] = c["storage"]
        if c.get("domain"):
            item["domain"] = c["domain"]
        cookies.append(item)
    policy = config["policy"]
    lean = {
        "site": site.key,
        "lifetime_days": site.consent_lifetime_days,
        "language": config["language"],
        "languages": config["site"]["languages"],
        "banner_version": config["banner_version"],
        "policy_version": config["policy_version"],
        "policy_url": (policy and policy["url"]) or site.policy_url or "",
        "texts": _texts(config, EMBED_TEXT_KEYS),
        "purposes": purposes,
        "cookies": cookies,
        "consent_mode": config["consent_mode"],
        "css_url": _static_url("consent/banner.css"),
        "prefs": _static_url("consent/prefs.js"),  # the preferences dialog, loaded when it opens
    }
    regime = regime_fields(site, jurisdiction)
    # TCF sites only: the TCF chunk (a second script, see docs/tcf.md) and what it needs; the GDPR
    # applies where the visitor's regime asks for opt-in consent.
    gvl_url = reverse("embed-tcf-gvl", args=[site.key]) + f"?lang={config['language']}"
    tcf = tcf_config(site, _static_url("consent/tcf.js"), gvl_url, gdpr_applies=regime["regime"]["name"] == OPT_IN)
    if tcf is not None:
        lean["chunks"] = [tcf["chunk"]]
        lean["tcf"] = tcf
    for name, value in regime.items():
        lean[name] = [*lean.get(name, []), *value] if name == "chunks" else value
    change = coming_policy_change(site, now)
    if change is not None:
        # During the notice period: a small notice to visitors who already chose (docs/banner.md).
        try:
            url = reverse("consent:policy-changes", args=[site.key, change.version])
        except NoReverseMatch:
            url = ""
        lean["notice"] = {"v": change.version, "at": f"{change.effective_at:%Y-%m-%d}", "url": url}
        lean["texts"].update(_texts(config, ("change_notice", "change_link")))
        lean.setdefault("chunks", []).append(_static_url("consent/notice.js"))
    return lean


def details_payload(site, language=None, *, now=None, banner=None):
    """What the preferences dialog loads when it opens: purpose descriptions, vendor and cookie
    lists, and every text in `language` (also used when the page's language differs from the
    embed's)."""
    config = banner_config(site, language, banner=banner, now=now)
    return {
        "language": config["language"],
        "texts": _texts(config),
        "purposes": [
            {"key": p["key"], "name": p["name"], "description": p["description"], "vendors": p["vendors"]}
            for p in config["purposes"]
            if shown(p)
        ],
        "vendors": {
            v["key"]: {"name": v["name"], "country": v["country"], "policy_url": v["policy_url"]}
            for v in config["vendors"]
        },
        "cookies": [
            {
                "name": c["name"],
                "purpose": c["purpose"],
                "vendor": c["vendor"],
                "storage": c.get("storage", "cookie"),
                "lifetime_seconds": c["lifetime_seconds"],
                "description": c["description"],
            }
            for c in config["cookies"]
        ],
    }
