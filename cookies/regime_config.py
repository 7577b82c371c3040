"""The visitor's regime in the embed: one request tells the runtime which law applies.

The embed answer varies on the trusted geo header (`Vary: <GEO_HEADER>`) and carries only the
visitor's jurisdiction and that regime's rules, instead of every jurisdiction's rules: the
opt-in visitor's embed grows by ~20 bytes (brotli) rather than ~300, which keeps the network
demo within its 6 KB budget (see docs/regimes.md for the measurement). Code that only some
visitors need loads as chunks: the opt-out link, dialog and GPP API where the regime is not
opt-in (with their texts: the opt-out link's wording is the statute's), the cross-domain
handover where the site has several origins.
"""

from django.conf import settings
from django.templatetags.static import static

from consent import jurisdiction as geo
from consent.regimes import NOTICE, OPT_IN, regime_for, settings_for
from consent.site_checks import site_origins

REGIME_CHUNK = "consent/regime.js"
DOMAINS_CHUNK = "consent/domains.js"


def _static_url(path):
    try:
        return static(path)
    except ValueError:  # hashed storage without collectstatic: the plain URL still serves in development
        return settings.STATIC_URL + path


def embed_jurisdiction(meta, ip, entry):
    """(jurisdiction, headers the answer varies on, whether shared caches may keep it).

    A header set by the CDN is named in `Vary`; a jurisdiction read from the IP database depends
    on the client's address, which `Vary` cannot name, so that answer is private."""
    code, source = geo.detect(meta, ip)
    vary = [h for h in (settings.GEO_HEADER, settings.GEO_REGION_HEADER) if h]
    if not code:
        code = geo.normalise(entry.get("default_jurisdiction") or "")
    return code, vary, source != "ip_database"


def regime_fields(site, jurisdiction):
    """The embed's `regime` block, cookie domain, handover origins and chunks for one visitor."""
    regime = regime_for(site, jurisdiction)
    block = {"name": regime}
    if jurisdiction:
        block["place"] = jurisdiction
    chunks = []
    if regime != OPT_IN:
        rules = settings_for(site, regime)
        block["reask_days"] = rules["reask_days"]
        block["sensitive"] = list(rules.get("sensitive") or [])
        if regime == NOTICE:
            block["display"] = rules["display"]
        chunks.append(_static_url(REGIME_CHUNK))
    fields = {"regime": block}
    if site.cookie_domain:
        fields["cookie_domain"] = site.cookie_domain
    origins = site_origins(site)
    if len(origins) > 1:
        fields["handover"] = origins
        chunks.append(_static_url(DOMAINS_CHUNK))
    if chunks:
        fields["chunks"] = chunks
    return fields
