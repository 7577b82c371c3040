// The regime chunk (built to regime.js, loaded by src/chunks.js) for visitors outside the opt-in
// regimes: the opt-out link and dialog or the notice (src/optout.js) and, for US places, the
// GPP API (and its __gppLocator frame) whose string also travels with every decision (`gpp`,
// stored in its evidence).
import { encode, fieldValues, installGpp, installGppLocator, sectionIds } from "./gpp.js";
import { createRegimeUI } from "./optout.js";

window.consent._chunk((state, api) => {
  const win = window, doc = document, regime = state.config.regime;
  // Sale, sharing and targeted advertising: the purposes Global Privacy Control refuses.
  const sale = state.optional.filter((p) => p.gpc_sensitive);
  const optedOut = () => state.gpc || (sale.length > 0 && !sale.some((p) => api.get(p.key) === true));
  const ui = createRegimeUI({ win, doc, state, api, sale, optedOut });
  const ids = regime.name === "opt_out" ? sectionIds(regime.place) : [];
  if (ids.length) {
    const current = () => ({ ids, values: fieldValues({ optedOut: optedOut(), gpc: state.gpc }) });
    const changed = installGpp(win, { current, displayed: ui.open });
    installGppLocator(win); // frames (an ad slot) call __gpp by postMessage
    const before = state.decorate; // another chunk's addition, kept
    state.decorate = (body, method) => {
      before?.(body, method);
      body.gpp = encode(ids, current().values);
    };
    state.listeners.push(changed);
  }
  const start = () => ui.start();
  if (doc.body) start();
  else doc.addEventListener("DOMContentLoaded", start);
});
