// window.consent: get / on / show, and push for calls queued before the script loaded
// (window.consent = window.consent || []; consent.push(["on", "change", f])).
import { get } from "./choice.js";
import { state } from "./state.js";

export function installApi(win, { show }) {
  const queued = Array.isArray(win.consent) ? win.consent : [];
  const api = (win.consent = {
    _v: 1,
    get,
    on: (event, f) => event === "change" && state.listeners.push(f),
    show,
    push: ([m, ...args]) => api[m] && m !== "push" && api[m](...args),
  });
  queued.forEach(api.push);
  return api;
}
