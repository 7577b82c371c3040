// The TCF chunk (built as static/consent/tcf.js, loaded only on TCF sites, see docs/tcf.md):
// installs the CMP API, keeps the visitor's TCF choice, adds the TCF texts and switches to the
// runtime's UI and hands each decision's TC string to the runtime, which sends it with the
// decision to the ledger (`state.decorate`, called by decide.js before the decision is queued).
import { createCmpApi } from "./cmpapi.js";
import { encodeAC, encodeTC } from "./encode.js";
import { allChoices, tcFields } from "./model.js";
import { installStub } from "./stub.js";
import { firstLayer, prefsSection, readSection } from "./ui.js";

const SETS = ["purposeConsents", "purposeObjections", "vendorConsents", "vendorObjections", "specialFeatures", "ac"];
const MAX_DAYS = 395;

const pack = (c) => Object.fromEntries(SETS.map((k) => [k, [...c[k]]]));
const unpack = (o) => Object.fromEntries(SETS.map((k) => [k, new Set(o[k] || [])]));

function setup(state, consent) {
  const win = window, doc = document, cfg = state.config.tcf;
  const key = "consent_" + state.config.site + "_tcf";
  installStub(win);
  const api = createCmpApi(win, cfg);
  api.install();
  if (!cfg.gdpr_applies) return api.update(null, "tcloaded");

  let storage;
  try {
    storage = win.localStorage;
  } catch {
    // blocked: the choice lives for this page only
  }
  let saved = null;
  try {
    saved = JSON.parse(storage.getItem(key));
  } catch {
    // none or unreadable
  }
  const lifetime = Math.min(state.config.lifetime_days || 180, MAX_DAYS) * 864e5;
  const custom = () => state.purposes.filter((p) => !p.essential).map((p) => consent.get(p.key) === true);
  const language = () => (/^[a-z]{2}/i.test(state.language) ? state.language.slice(0, 2) : "en");

  function current(s) {
    const choices = unpack(s.c);
    const fields = tcFields(cfg, choices, { when: s.t, screen: s.s, language: s.l, custom: s.p });
    return { choices, fields, tcString: s.tc, addtlConsent: s.ac };
  }
  const valid = saved && saved.c && saved.g >= cfg.reask && saved.t + lifetime > Date.now();
  if (valid) api.update(current(saved), "tcloaded");

  // The vendor list with the standard texts, in the language the UI is shown in (which may
  // change once the page's own language is known): one request per language, on first need.
  const lists = {};
  const gvl = () => {
    const lang = language();
    if (!lists[lang]) {
      const url = new URL(cfg.gvl_url, state.base);
      url.searchParams.set("lang", lang);
      lists[lang] = fetch(url.href).then((r) => (r.ok ? r.json() : Promise.reject(r.status)));
      lists[lang].catch(() => delete lists[lang]);
    }
    return lists[lang];
  };
  const root = () => (doc.getElementById("consent-ui") || {}).shadowRoot;
  // Before any choice the switches show no consent and no objection (legitimate interest on).
  const choicesNow = () =>
    api.current ? api.current.choices : Object.assign(allChoices(cfg, false, []), { purposeObjections: new Set(), vendorObjections: new Set() });
  // What the preferences' TCF switches say, kept as they change: the runtime closes the dialog
  // before it records a "save".
  let draft = null;

  // Each decision of the runtime: a TC string only after an affirmative action (TCF-7). An
  // error here must not lose the site's own decision: it is sent without a string then.
  const before = state.decorate; // another chunk's addition, kept
  state.decorate = (body, method) => {
    before?.(body, method);
    try {
      record(method, body);
    } catch (e) {
      win.console.error("consent: TCF", e);
    }
  };
  function record(method, body) {
    let choices;
    if (method === "accept_all") choices = allChoices(cfg, true, cfg.ac_ids || []);
    else if (method === "reject_all" || method === "dismiss") choices = allChoices(cfg, false, []);
    else if (method === "custom") choices = draft || choicesNow();
    else return;
    const s = { c: pack(choices), t: Date.now(), s: method === "custom" ? 2 : 1, l: language(), g: cfg.gvl_version, p: custom() };
    const next = current(s);
    s.tc = next.tcString = encodeTC(next.fields);
    if ((cfg.ac_ids || []).length) s.ac = next.addtlConsent = encodeAC(cfg.ac_ids, choices.ac);
    try {
      storage.setItem(key, JSON.stringify(s));
    } catch {
      // memory only
    }
    body.tc_string = s.tc;
    if (s.ac) body.ac_string = s.ac;
    api.update(next, "useractioncomplete");
  }

  // The runtime's UI: add the TCF parts when the banner (.b) or the preferences (.m) appear.
  function added(el) {
    if (!el.classList || !(el.classList.contains("b") || el.classList.contains("m"))) return;
    draft = null;
    api.shown();
    gvl().then((list) => {
      if (!el.isConnected || el.querySelector(".tcf")) return;
      if (el.classList.contains("b")) el.querySelector("#cd").after(firstLayer(cfg, list, language()));
      else {
        const section = prefsSection(cfg, list, language(), choicesNow());
        el.querySelector(".a").before(section);
        draft = readSection(root(), cfg);
        section.addEventListener("change", () => (draft = readSection(root(), cfg)));
      }
    }, () => 0);
  }
  function watchRoot(r) {
    [...r.children].forEach(added);
    new win.MutationObserver((records) => records.forEach((m) => m.addedNodes.forEach(added))).observe(r, { childList: true });
  }
  if (root()) watchRoot(root());
  else {
    const watch = new win.MutationObserver(() => {
      if (root()) {
        watch.disconnect();
        watchRoot(root());
      }
    });
    watch.observe(doc.documentElement, { childList: true, subtree: true });
  }
  // Decided on the site's purposes but not (or no longer) on TCF: a new GVL version that adds
  // purposes to a vendor, a new vendor, or TCF newly switched on. Ask again.
  const decided = state.purposes.filter((p) => !p.essential).every((p) => consent.get(p.key) !== undefined);
  if (!valid && decided) consent.show();
}

window.consent._chunk(setup);
