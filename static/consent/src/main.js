// Entry point of the banner runtime. The embed endpoint (/c/<site>.js) serves the bundle of
// these modules wrapped as `(function (CONFIG) { <bundle> })(<the site's configuration>);`,
// so CONFIG is the one free name here; the CSS is built in (__CSS__, see build.mjs).
// Rules it keeps: nothing gated runs before its purpose is granted; no eval, no inline
// handlers or style attributes (works under a strict CSP); styles live in a shadow root.
import { installApi } from "./api.js";
import { get, loadChoice, pending } from "./choice.js";
import { hostChunks, loadChunks } from "./chunks.js";
import { consentModeState, installGtag } from "./consentmode.js";
import { all, createDecide, gtagUpdate } from "./decide.js";
import { applyLanguage, loadDetails, matchLanguage } from "./details.js";
import { ready, whenBody } from "./dom.js";
import { reportDrift } from "./drift.js";
import { createGate } from "./gating.js";
import { gpcRefusals } from "./gpc.js";
import { decider, sender } from "./preview.js";
import { createQueue } from "./queue.js";
import { init, state } from "./state.js";
import { createUI } from "./ui.js";

function start(config, css) {
  const win = window, doc = document;
  if (!config || win.consent?._v) return;
  init(config, { script: doc.currentScript, location: win.location, navigator: win.navigator });
  loadChoice(doc, win.crypto, Date.now());

  let storage;
  try {
    storage = win.localStorage;
  } catch {
    // storage blocked: the queue lives in memory
  }
  const send = (path, body) =>
    fetch(state.api + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  // __PREVIEW__ is a build constant: banner.js leaves the preview code out (see build.mjs).
  const post = __PREVIEW__ ? sender(config, send) : send;
  const queue = createQueue({
    storage,
    key: state.cookieName + "_queue",
    send: (item) => post("decisions", item),
    timers: { setTimeout: (f, ms) => win.setTimeout(f, ms), clearTimeout: (t) => win.clearTimeout(t) },
  });
  const gate = createGate(doc, get);
  let ui;
  const recordDecision = createDecide({
    win,
    doc,
    queue,
    gate,
    hooks: { withdrawn: () => ready(() => ui.notice(state.texts.reload_notice)) },
  });
  const decide = __PREVIEW__ ? decider(config, recordDecision, () => ready(() => ui.banner())) : recordDecision;
  ui = createUI({ win, doc, css, decide });
  state.decide = decide;

  installGtag(win);
  win.gtag("consent", "default", Object.assign(consentModeState(config.consent_mode, state.byKey, get, false), { wait_for_update: 500 }));
  installApi(win, { show: () => ready(ui.prefs) });
  hostChunks(win);
  if (state.stored) gtagUpdate(win);
  // Chunks are requested, and decisions left from an earlier page sent, in a task of their own:
  // the banner is shown first. GPC's refusals wait for the chunks: the regime chunk adds the GPP
  // string to every decision sent (state.decorate), the refusals included.
  const refused = gpcRefusals(state.gpc, state.optional, state.stored);
  const chunks = new Promise((loaded) =>
    win.setTimeout(() => {
      queue.flush();
      loaded(loadChunks(doc));
    }),
  );
  if (refused.length) chunks.then(() => decide("gpc", all(0, refused)));

  doc.addEventListener("click", (e) => {
    if (e.target.closest?.("[data-consent-open]")) {
      e.preventDefault();
      ui.prefs();
    }
  });
  // Gated elements are activated once the document is parsed (in document order); later ones
  // are picked up as they are added.
  ready(() => {
    gate.activate();
    gate.observe(win.MutationObserver);
  });
  // The banner does not wait for the rest of the page: it shows as soon as there is a body.
  // consent:ready: started, and the banner shown if it had to be.
  const started = () => doc.dispatchEvent(new Event("consent:ready"));
  let begun;
  const begin = () => {
    if (begun) return;
    begun = 1;
    // Outside opt-in regimes nothing blocks: the regime chunk shows the opt-out link or notice.
    if (state.regime !== "opt_in" || !pending().length) return started();
    // The page's language (<html lang>) wins over the one the embed was negotiated in.
    const wanted = matchLanguage(doc.documentElement.lang, config.languages);
    const shown = () => (ui.banner(), started());
    if (!wanted || wanted === state.language) return shown();
    loadDetails(wanted).then(applyLanguage, () => 0).then(shown);
  };
  // A decision handed over from the site's other domain (src/domains.js) is awaited, 3 s at most.
  whenBody(doc, () => {
    if (!config.handover || !/[#&]_cst=/.test(win.location.hash)) return begin();
    doc.addEventListener("consent:handover", begin);
    win.setTimeout(begin, 3e3);
  });
  win.setTimeout(() => reportDrift(doc, win.location, post), 3e3);
}

start(CONFIG, __CSS__);
