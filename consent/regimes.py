"""Which law a visitor falls under, and what that regime means for a site.

Three regimes:
- `opt_in` (EU/EEA, UK, Switzerland, Brazil, Québec): nothing optional runs before consent.
- `opt_out` (US states with comprehensive privacy laws): optional purposes run until the person
  opts out; purposes the site marks sensitive (sensitive data, financial incentives) still need
  opt-in; GPC is a binding opt-out of sale, sharing and targeted advertising.
- `notice` (no consent law): as opt-out, with a dismissable notice or no banner at all.

A jurisdiction maps to a regime by, in order: the site's `regime_by_country` for the exact
region, then for the country; the built-in map below for the region, then the country; else
the site's own `regime` (also used when the jurisdiction is unknown, so the site's choice is
the fallback, opt-in unless changed).
"""

from datetime import timedelta

from consent.models import Regime

OPT_IN, OPT_OUT, NOTICE = Regime.OPT_IN.value, Regime.OPT_OUT.value, Regime.NOTICE.value

EU_EEA = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO"
# Switzerland's law is opt-out for cookies, but Google's EU consent policy covers it: opt-in by default.
OPT_IN_PLACES = EU_EEA.split() + ["GB", "CH", "BR", "CA-QC"]
# US states whose comprehensive privacy laws are in force by 2026 (see docs/regimes.md).
US_PRIVACY_STATES = "CA VA CO CT UT TX OR MT IA DE NH NJ NE TN MN MD IN KY RI".split()
BUILT_IN = {**{code: OPT_IN for code in OPT_IN_PLACES}, **{f"US-{state}": OPT_OUT for state in US_PRIVACY_STATES}}

DEFAULTS = {
    OPT_IN: {"reask_days": 182, "sensitive": []},
    OPT_OUT: {"reask_days": 365, "lifetime_days": 395, "sensitive": []},
    NOTICE: {"reask_days": 365, "lifetime_days": 395, "sensitive": [], "display": "notice"},
}


def regime_for(site, jurisdiction):
    """The regime that applies to a visitor from `jurisdiction` (`CC`, `CC-RR` or "")."""
    overrides = site.regime_by_country if isinstance(site.regime_by_country, dict) else {}
    if jurisdiction:
        country = jurisdiction[:2]
        for table in (overrides, BUILT_IN):
            for code in (jurisdiction, country):
                regime = table.get(code)
                if regime in Regime.values:
                    return regime
    return site.regime if site.regime in Regime.values else OPT_IN


def possible_regimes(site):
    """Every regime `regime_for` can answer for this site (its default, the built-in map, its overrides)."""
    overrides = site.regime_by_country if isinstance(site.regime_by_country, dict) else {}
    found = {regime_for(site, "")} | set(BUILT_IN.values()) | set(overrides.values())
    return sorted(found & set(Regime.values))


def settings_for(site, regime):
    """The site's settings for one regime, with the defaults filled in."""
    merged = dict(DEFAULTS.get(regime, DEFAULTS[OPT_IN]))
    if regime == OPT_IN:
        merged["lifetime_days"] = site.consent_lifetime_days
    stored = site.regime_settings if isinstance(site.regime_settings, dict) else {}
    own = stored.get(regime)
    if isinstance(own, dict):
        merged.update({k: v for k, v in own.items() if k in DEFAULTS[NOTICE]})
    return merged


def is_sensitive(site, purpose, regime):
    """A purpose that needs opt-in even where the law lets others run until an opt-out."""
    sensitive = settings_for(site, regime).get("sensitive") or []
    return purpose.key in sensitive


def lifetime(site, regime):
    """How long a grant lasts in this regime."""
    return timedelta(days=settings_for(site, regime or OPT_IN)["lifetime_days"])


def starts_allowed(site, purpose, regime):
    """Before any decision: does this purpose run? Always-on ones do; in opt-in regimes nothing
    else does; elsewhere every optional purpose does unless the site marks it sensitive."""
    if purpose.always_allowed:
        return True
    if regime == OPT_IN:
        return False
    return not is_sensitive(site, purpose, regime)


def gpc_binding(regime, jurisdiction):
    """Does a GPC signal override an explicit grant in the same request? Where the law makes it
    an opt-out (opt-out regimes; every US visitor, as residency cannot be checked) and where no
    law asks for consent; in opt-in regimes a specific, informed grant is the later, narrower
    choice and stands (the signal still denies every sensitive purpose not explicitly granted)."""
    return regime != OPT_IN or (jurisdiction or "").startswith("US")


def regime_rules(site):
    """What the banner config carries so that one cacheable config serves every jurisdiction.

    `places` maps each regime to the jurisdiction prefixes (`CC` or `CC-RR`) it covers, longest
    match first as in `regime_for`; `default` is the regime for anything else; `regimes` are the
    per-regime settings. Compact: 380-500 bytes of JSON, 210-290 gzipped (see docs/regimes.md).
    """
    table = dict(BUILT_IN)
    overrides = site.regime_by_country if isinstance(site.regime_by_country, dict) else {}
    default = site.regime if site.regime in Regime.values else OPT_IN
    # A country override beats the built-in regions of that country unless they are overridden too.
    for code, regime in overrides.items():
        if regime not in Regime.values:
            continue
        if "-" not in code:
            for region in [c for c in table if c.startswith(code + "-") and c not in overrides]:
                del table[region]
        table[code] = regime
    places = {}
    for code in sorted(table):
        if table[code] != default:
            places.setdefault(table[code], []).append(code)
    # A region whose country maps elsewhere but which itself follows the default must be listed.
    for code in sorted(table):
        if "-" in code and table[code] == default and table.get(code[:2], default) != default:
            places.setdefault(default, []).append(code)
    return {
        "default": default,
        "places": {regime: " ".join(codes) for regime, codes in sorted(places.items())},
        "regimes": {regime: settings_for(site, regime) for regime in Regime.values},
    }
