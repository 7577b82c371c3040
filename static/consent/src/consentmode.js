// Google Consent Mode v2: a denied default before anything runs, an update on every choice.

const STANDARD = ["ad_storage", "ad_user_data", "ad_personalization", "analytics_storage"];

/** Define dataLayer and the standard gtag shim when the page has none. */
export function installGtag(win) {
  win.dataLayer = win.dataLayer || [];
  if (typeof win.gtag !== "function")
    win.gtag = function () {
      win.dataLayer.push(arguments);
    };
}

/**
 * The consent state per Consent Mode type from the site's purpose-to-types `mapping`.
 * Types of essential purposes are granted; the others only when `stored` and granted.
 */
export function consentModeState(mapping, byKey, get, stored) {
  const s = {};
  STANDARD.forEach((t) => (s[t] = "denied"));
  Object.keys(mapping).forEach((k) =>
    (mapping[k] || []).forEach((t) => {
      const on = byKey[k] && byKey[k].essential ? true : stored && get(k) === true;
      s[t] = on || s[t] === "granted" ? "granted" : "denied";
    }),
  );
  return s;
}
