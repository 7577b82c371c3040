// The visitor's choice: read from and written to the first-party cookie, and the verdict per
// purpose that window.consent.get() and gating use.
import { state } from "./state.js";

export function readCookie(doc, name) {
  const m = doc.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
  return m ? decodeURIComponent(m[1]) : null;
}

export function uuid(crypto) {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const x = [...b].map((v) => (v + 256).toString(16).slice(1)).join("");
  return x.replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
}

/** The stored choice if it is readable and not expired, else null; and the visitor id to use. */
export function loadChoice(doc, crypto, now) {
  let stored = null;
  try {
    stored = JSON.parse(readCookie(doc, state.cookieName));
  } catch {
    // unreadable: ask again
  }
  state.visitorId = stored?.v || uuid(crypto);
  // An opt-out does not lapse: outside opt-in regimes the regime chunk asks again once it is old.
  state.stored = stored?.d && (state.regime !== "opt_in" || stored.t + state.lifetimeMs > now) ? stored : null;
}

/** Write the choice; on the site's cookie domain (".example.com") when this host is under it. */
export function saveChoice(doc, location) {
  const domain = state.config.cookie_domain;
  doc.cookie =
    state.cookieName + "=" + encodeURIComponent(JSON.stringify(state.stored)) +
    "; path=/; max-age=" + state.lifetimeMs / 1e3 + "; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "") +
    (domain && ("." + location.hostname).endsWith(domain) ? "; domain=" + domain : "");
}

const floor = (p) => p.min_policy_version || 0;

/** true, false, or undefined (not decided yet); essential and undecided free purposes are true. */
export function get(key) {
  const p = state.byKey[key], s = state.stored;
  if (!p) return undefined;
  if (p.essential) return true;
  if (!s || !(key in s.d)) return state.free.includes(key) || undefined;
  return s.d[key] === 1 && floor(p) <= (s.p || 0);
}

/** Purposes still to be asked: never decided, or granted under a policy a material change superseded. */
export function pending() {
  const s = state.stored;
  return state.asked.filter((p) => !s || !(p.key in s.d) || (s.d[p.key] === 1 && floor(p) > (s.p || 0)));
}

/** {key: verdict} for every shown purpose: what change listeners receive. */
export function verdicts() {
  const o = {};
  state.purposes.forEach((p) => (o[p.key] = get(p.key)));
  return o;
}
