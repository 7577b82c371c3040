// Recording a choice: store it, send it, apply it (gating, Consent Mode, clean-up, listeners).
import { get, saveChoice, verdicts, uuid } from "./choice.js";
import { clearPurposes } from "./cleanup.js";
import { consentModeState } from "./consentmode.js";
import { state } from "./state.js";

/** {key: value} for each purpose of `list`. */
export function all(value, list) {
  const d = {};
  list.forEach((p) => (d[p.key] = value));
  return d;
}

export function gtagUpdate(win) {
  win.gtag("consent", "update", consentModeState(state.config.consent_mode, state.byKey, get, true));
}

/**
 * A decide(method, {key: 0|1}, vendors) bound to the page; `vendors` ({"purpose vendor": 0|1},
 * from the preferences dialog) are choices of single companies within a purpose (kept as `x`).
 * `hooks.withdrawn()` is called when a granted purpose was refused (the UI then offers a reload).
 * A `cross_domain` decision is already on the server (a handover): applied here, not sent.
 */
export function createDecide({ win, doc, queue, gate, hooks }) {
  return function decide(method, d, vendors = {}) {
    const s = state.stored, prev = s ? s.d : {}, keep = method === "gpc" && s;
    const withdrawn = Object.keys(d).filter((k) => !d[k] && prev[k] === 1);
    state.stored = {
      v: state.visitorId,
      b: state.config.banner_version,
      p: keep ? s.p : state.config.policy_version,
      d: Object.assign({}, prev, d),
      t: keep ? s.t : Date.now(),
      m: method,
      x: Object.assign({}, s?.x, vendors),
    };
    saveChoice(doc, win.location);
    if (withdrawn.length) {
      clearPurposes(withdrawn, state.config.cookies, {
        document: doc,
        location: win.location,
        get localStorage() {
          return win.localStorage;
        },
        get sessionStorage() {
          return win.sessionStorage;
        },
      });
      hooks.withdrawn();
    }
    const decisions = {};
    Object.keys(d).forEach((k) => (decisions[k] = d[k] ? "granted" : "denied"));
    const body = {
      id: uuid(win.crypto),
      visitor_id: state.visitorId,
      decisions,
      method,
      banner_version: state.config.banner_version,
      policy_version: state.config.policy_version,
      language: state.language,
    };
    if (state.token) body.subject_token = state.token;
    if (s) body.returning = true; // an earlier choice is kept here: the server looks the visitor up first
    Object.keys(vendors).forEach((pv) => {
      const [p, v] = pv.split(" "), b = (body.vendors = body.vendors || {});
      (b[v] = b[v] || {})[p] = vendors[pv] ? "granted" : "denied";
    });
    state.decorate?.(body, method); // what optional chunks add (the TC string, the GPP string)
    if (method !== "cross_domain") queue.add(body);
    gtagUpdate(win);
    gate.activate();
    const detail = { decisions: verdicts(), method };
    state.listeners.forEach((f) => {
      try {
        f(detail.decisions);
      } catch {
        // a listener's own error
      }
    });
    doc.dispatchEvent(new CustomEvent("consent:change", { detail }));
  };
}
