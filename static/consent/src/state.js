// The runtime's whole state in one object. start() fills it once from the configuration the
// embed endpoint serves; the other modules read and update it here rather than in closures.
// Fields named in build.mjs (STATE_FIELDS) are shortened in the bundle: a new field that the
// configuration or a chunk also uses by name must not be listed there.

/**
 * Fields, all set by init() except where noted:
 *   config      the site's published configuration, one language (see docs/banner.md)
 *   texts       texts in `language`
 *   language    the language the visitor is shown and that decisions are recorded with
 *   purposes    purposes the banner shows, in display order; byKey: key -> purpose
 *   optional    shown purposes that are not essential
 *   asked       optional purposes the visitor is asked about (GPC-refused ones are not)
 *   stored      the stored choice {v, b, p, d, t, m} (set by choice.loadChoice)
 *   visitorId   (set by choice.loadChoice)
 *   gpc         the browser sends Global Privacy Control
 *   regime      the visitor's regime: opt_in, opt_out or notice (config.regime, see docs/regimes.md)
 *   free        keys of optional purposes that run until the person refuses them: outside opt-in
 *               regimes, those the site does not mark sensitive (and not GPC-refused ones)
 *   decide      (set by start) records a choice
 *   base, api   origin the script came from (the platform), and its API for this site
 *   cookieName, lifetimeMs, token (from data-subject-token on the tag)
 *   listeners   window.consent.on("change", ...) callbacks
 *   decorate    set by optional chunks, each keeping the one before: decorate(body, method) adds
 *               to each decision sent (the TC string, the GPP string)
 * (The literal stays empty: the bundle need not carry the list twice.)
 * @type {Record<string, any>}
 */
export const state = {};

// A stored choice is valid for the site's consent lifetime, never more than 13 months.
export const MAX_LIFETIME_DAYS = 395;

/** Derive everything start() needs from the configuration and the script tag. */
export function init(config, { script, location, navigator }) {
  const base = script?.src ? new URL(script.src).origin : location.origin;
  state.config = config;
  state.texts = config.texts;
  state.language = config.language;
  state.purposes = config.purposes;
  state.byKey = {};
  config.purposes.forEach((p) => (state.byKey[p.key] = p));
  state.gpc = navigator.globalPrivacyControl === true;
  state.optional = config.purposes.filter((p) => !p.essential);
  state.asked = state.optional.filter((p) => !(state.gpc && p.gpc_sensitive));
  const regime = config.regime || {};
  state.regime = regime.name || "opt_in";
  state.free = state.regime === "opt_in" ? [] : state.asked.filter((p) => !regime.sensitive?.includes(p.key)).map((p) => p.key);
  state.base = base;
  state.api = base + "/api/v1/sites/" + config.site + "/";
  state.cookieName = "consent_" + config.site;
  // Outside opt-in regimes a choice is kept until the re-ask time (at least 12 months after an opt-out).
  state.lifetimeMs = Math.min(regime.reask_days || config.lifetime_days || 180, MAX_LIFETIME_DAYS) * 864e5;
  state.token = script?.dataset.subjectToken || null;
  state.listeners = [];
  return state;
}
