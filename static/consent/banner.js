// Consent banner runtime. Hand-written, no dependencies, no build step.
// The embed endpoint (/c/<site>.js) serves this function called with the site's published
// configuration and the banner CSS: `(function (C, CSS) {...})(config, css)`.
// Rules it keeps: nothing gated runs before its purpose is granted; no eval, no inline
// handlers or style attributes (works under a strict CSP); styles live in a shadow root.
(function (C, CSS) {
  "use strict";
  const D = document, W = window, N = navigator;
  if (!C || (W.consent && W.consent._v)) return;
  let LS;
  try { LS = W.localStorage; } catch (e) { /* storage blocked */ }
  const me = D.currentScript, token = me && me.dataset.subjectToken;
  const base = me && me.src ? new URL(me.src).origin : location.origin;
  const KEY = C.site.key, API = base + "/api/v1/sites/" + KEY + "/", CK = "consent_" + KEY, QK = CK + "_queue";
  // Lifetime of a choice: the site's, never more than 13 months.
  const LIFE = Math.min(C.site.consent_lifetime_days || 180, 395) * 864e5;
  const GPC = N.globalPrivacyControl === true;
  const assign = Object.assign, keys = Object.keys;

  // Runtime-only texts; a published banner version may override any of them.
  const DEF = {
    en: {
      prefs_title: "Privacy preferences",
      dismiss_notice: "Closing this banner refuses all optional cookies.",
      essential_label: "Always on",
      gpc_notice: "Global Privacy Control signal honoured: sale, sharing and targeted advertising stay off.",
      reload_notice: "Your withdrawal is saved. Reload the page to complete it.",
      reload: "Reload",
      policy_link: "Privacy policy",
      close: "Close",
    },
    fr: {
      prefs_title: "Préférences de confidentialité",
      dismiss_notice: "Fermer ce bandeau refuse tous les cookies facultatifs.",
      essential_label: "Toujours actif",
      gpc_notice: "Signal Global Privacy Control respecté : vente, partage et publicité ciblée restent désactivés.",
      reload_notice: "Votre retrait est enregistré. Rechargez la page pour le terminer.",
      reload: "Recharger",
      policy_link: "Politique de confidentialité",
      close: "Fermer",
    },
  };

  // Language: <html lang>, then the browser, then the site default.
  const I = C.i18n || {};
  const L = [D.documentElement.lang, N.language, C.site.default_language, C.language]
    .map((l) => (l || "").toLowerCase())
    .reduce((got, l) => got || (I[l] ? l : I[l.split("-")[0]] ? l.split("-")[0] : ""), "") || C.language;
  const loc = I[L] || {};
  const T = assign({}, DEF.en, DEF[L], loc.texts || C.texts);

  // The banner asks about consent-based purposes that are not communications (those are asked
  // in the site's own forms); essential ones are shown as always on.
  const ALL = {};
  C.purposes.forEach((p) => (ALL[p.key] = p));
  const P = C.purposes.filter((p) => p.kind != "communication" && (p.essential || p.legal_basis == "consent"));
  const OPT = P.filter((p) => !p.essential);
  const ASKED = OPT.filter((p) => !(GPC && p.gpc_sensitive));
  const nameOf = (p) => ((loc.purposes || {})[p.key] || [p.name])[0] || p.key;
  const descOf = (p) => ((loc.purposes || {})[p.key] || [0, p.description])[1] || "";
  const floor = (p) => p.min_policy_version || 0;

  // --- stored choice (first-party cookie) ---------------------------------------------------
  const readCookie = (n) => {
    const m = D.cookie.match(new RegExp("(?:^|; )" + n + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  };
  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const x = [...b].map((v) => (v + 256).toString(16).slice(1)).join("");
    return [x.slice(0, 8), x.slice(8, 12), x.slice(12, 16), x.slice(16, 20), x.slice(20)].join("-");
  };
  let S = null;
  try { S = JSON.parse(readCookie(CK)); } catch (e) { /* unreadable: ask again */ }
  const VID = (S && S.v) || uuid();
  if (S && !(S.d && S.t + LIFE > Date.now())) S = null;

  function get(k) {
    const p = ALL[k];
    if (!p) return undefined;
    if (p.essential) return true;
    if (!S || !(k in S.d)) return undefined;
    return S.d[k] === 1 && floor(p) <= (S.p || 0);
  }
  // Purposes still to be asked: never decided, or granted under a policy a material change superseded.
  const pending = () => ASKED.filter((p) => !S || !(p.key in S.d) || (S.d[p.key] === 1 && floor(p) > (S.p || 0)));
  const state = () => {
    const o = {};
    P.forEach((p) => (o[p.key] = get(p.key)));
    return o;
  };

  // --- pending decisions: kept in localStorage until the platform acknowledges them ---------
  let MQ = [], busy = 0, tries = 0, timer;
  const queue = (v) => {
    if (v) {
      MQ = v;
      try { LS.setItem(QK, JSON.stringify(v)); } catch (e) { /* memory only */ }
      return v;
    }
    try { return LS ? JSON.parse(LS.getItem(QK)) || [] : MQ; } catch (e) { return MQ; }
  };
  const post = (path, body) =>
    fetch(API + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  function flush() {
    const item = queue()[0];
    if (busy || !item) return;
    busy = 1;
    post("decisions", item)
      .then((r) => {
        // 2xx: recorded; 409 and other client errors: retrying cannot help (409 = already recorded).
        if (!r.ok && (r.status < 400 || r.status > 499 || r.status == 408 || r.status == 429)) throw r.status;
      })
      .then(
        () => {
          queue(queue().filter((x) => x.id != item.id));
          busy = tries = 0;
          flush();
        },
        () => {
          busy = 0;
          clearTimeout(timer);
          timer = setTimeout(flush, Math.min(1e3 * 2 ** tries++, 6e4));
        },
      );
  }

  // --- withdrawal: delete the declared cookies of refused purposes ---------------------------
  const pattern = (name) => new RegExp("^" + name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$");
  const cookieNames = () => D.cookie.split(/; */).map((s) => s.split("=")[0]).filter(Boolean);
  function clear(purposes) {
    const parts = location.hostname.split("."), doms = [""];
    for (let i = 0; i < parts.length - 1; i++) doms.push("; domain=" + parts.slice(i).join("."));
    (C.cookies || []).forEach((c) => {
      if (!purposes.includes(c.purpose)) return;
      const re = pattern(c.name), st = c.storage || "cookie";
      if (st == "cookie") {
        const ds = c.domain ? doms.concat("; domain=" + c.domain) : doms;
        cookieNames()
          .filter((n) => re.test(n))
          .forEach((n) => ds.forEach((d) => (D.cookie = n + "=; path=/; max-age=0" + d)));
      } else if (st.endsWith("_storage")) {
        try {
          const s = st[0] == "l" ? LS : W.sessionStorage;
          keys(s).filter((k) => re.test(k)).forEach((k) => s.removeItem(k));
        } catch (e) { /* storage blocked */ }
      }
    });
  }

  // --- Google Consent Mode v2 ---------------------------------------------------------------
  const CM = C.consent_mode || {};
  W.dataLayer = W.dataLayer || [];
  if (typeof W.gtag != "function") W.gtag = function () { W.dataLayer.push(arguments); };
  const gcm = (stored) => {
    const s = {};
    ["ad_storage", "ad_user_data", "ad_personalization", "analytics_storage"].forEach((t) => (s[t] = "denied"));
    keys(CM).forEach((k) =>
      (CM[k] || []).forEach((t) => {
        const on = ALL[k] && ALL[k].essential ? true : stored && get(k) === true;
        s[t] = on || s[t] == "granted" ? "granted" : "denied";
      }),
    );
    return s;
  };
  W.gtag("consent", "default", assign(gcm(0), { wait_for_update: 500 }));

  // --- gated content ------------------------------------------------------------------------
  const SEL = 'script[type="text/plain"][data-consent],[data-consent][data-src]';
  const allowed = (el) => el.dataset.consent.split(/[\s,]+/).filter(Boolean).every((k) => get(k) === true);
  let chain = Promise.resolve();
  function run(el) {
    if (el.tagName != "SCRIPT") {
      el.src = el.dataset.src;
      el.removeAttribute("data-src");
      return;
    }
    const s = D.createElement("script");
    for (const a of el.attributes) if (a.name != "type" && a.name != "data-src") s.setAttribute(a.name, a.value);
    if (el.dataset.type) s.type = el.dataset.type;
    if (el.dataset.src) s.src = el.dataset.src;
    if (el.nonce) s.nonce = el.nonce;
    s.text = el.text;
    return new Promise((done) => {
      // External scripts run one after another, in document order, like parser-inserted ones.
      if (s.src) {
        s.async = false;
        s.onload = s.onerror = done;
      }
      el.replaceWith(s);
      if (!s.src) done();
    });
  }
  function activate() {
    chain = chain.then(() => {
      const list = [...D.querySelectorAll(SEL)].filter((el) => !el._consentRun && allowed(el));
      list.forEach((el) => (el._consentRun = 1));
      return list.reduce((p, el) => p.then(() => run(el)), Promise.resolve());
    });
  }

  // --- recording a choice -------------------------------------------------------------------
  const listeners = [];
  function decide(method, d) {
    const prev = S ? S.d : {}, keep = method == "gpc" && S;
    const withdrawn = keys(d).filter((k) => !d[k] && prev[k] === 1);
    S = {
      v: VID,
      b: C.banner_version,
      p: keep ? S.p : C.policy_version,
      d: assign({}, prev, d),
      t: keep ? S.t : Date.now(),
      m: method,
    };
    D.cookie =
      CK + "=" + encodeURIComponent(JSON.stringify(S)) + "; path=/; max-age=" + LIFE / 1e3 + "; SameSite=Lax" +
      (location.protocol == "https:" ? "; Secure" : "");
    if (withdrawn.length) {
      clear(withdrawn);
      ready(() => notice(T.reload_notice));
    }
    const decisions = {};
    keys(d).forEach((k) => (decisions[k] = d[k] ? "granted" : "denied"));
    const body = {
      id: uuid(), visitor_id: VID, decisions, method,
      banner_version: C.banner_version, policy_version: C.policy_version, language: L,
    };
    if (token) body.subject_token = token;
    queue(queue().concat(body));
    flush();
    W.gtag("consent", "update", gcm(1));
    activate();
    const detail = { decisions: state(), method };
    listeners.forEach((f) => { try { f(detail.decisions); } catch (e) { /* a listener's own error */ } });
    D.dispatchEvent(new CustomEvent("consent:change", { detail }));
  }
  const all = (v, list) => {
    const d = {};
    list.forEach((p) => (d[p.key] = v));
    return d;
  };

  // --- user interface (shadow DOM) ----------------------------------------------------------
  let root, ui, back, note;
  const ready = (f) => (D.readyState == "loading" ? D.addEventListener("DOMContentLoaded", f) : f());
  function h(tag, attrs, ...kids) {
    const e = D.createElement(tag);
    for (const k in attrs || {}) if (attrs[k] !== false && attrs[k] != null) e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    kids.flat().forEach((c) => c != null && e.append(c));
    return e;
  }
  const btn = (a, text) => h("button", { type: "button", "data-a": a }, text);
  const closer = (a) => h("button", { type: "button", class: "x", "data-a": a, "aria-label": T.close }, "×");
  function mount() {
    if (root) return;
    const host = h("div", { id: "consent-ui" });
    root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets && W.CSSStyleSheet) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.append(h("link", { rel: "stylesheet", href: C.css_url }));
    root.addEventListener("click", onClick);
    root.addEventListener("keydown", onKey);
    D.body.append(host);
  }
  function show(el) {
    hide();
    back = back || D.activeElement;
    ui = el;
    root.append(ui);
    (ui.querySelector("[role=dialog]") || ui).focus();
  }
  function hide() {
    if (!ui) return;
    ui.remove();
    ui = null;
    if (back && back.focus) back.focus();
    back = null;
  }
  const policyUrl = (C.policy && C.policy.url) || C.site.policy_url;
  function banner() {
    mount();
    show(
      h("div", { class: "b", role: "dialog", "aria-labelledby": "ct", "aria-describedby": "cd", tabindex: -1, lang: L },
        h("h2", { id: "ct" }, T.title),
        h("div", { id: "cd" },
          h("p", 0, T.body),
          h("p", 0, T.dismiss_notice),
          GPC && OPT.some((p) => p.gpc_sensitive) ? h("p", { class: "g" }, T.gpc_notice) : null),
        policyUrl ? h("p", 0, h("a", { href: policyUrl }, T.policy_link)) : null,
        h("div", { class: "a" }, btn("accept", T.accept_all), btn("reject", T.reject_all), btn("choose", T.choose)),
        closer("close")),
    );
  }
  function prefs() {
    mount();
    const items = P.map((p) => {
      const id = "p-" + p.key, locked = p.essential || (GPC && p.gpc_sensitive);
      return h("li", 0,
        h("label", { for: id },
          h("input", {
            type: "checkbox", id, "data-k": p.key, "aria-describedby": id + "-d",
            checked: p.essential || (!locked && !!S && S.d[p.key] === 1), disabled: locked,
          }),
          h("span", 0, nameOf(p)),
          p.essential ? h("small", 0, T.essential_label) : null),
        h("p", { id: id + "-d" }, descOf(p)));
    });
    show(
      h("div", { class: "m" },
        h("div", { class: "p", role: "dialog", "aria-modal": "true", "aria-labelledby": "pt", "aria-describedby": "pd", tabindex: -1, lang: L },
          h("h2", { id: "pt" }, T.prefs_title),
          h("p", { id: "pd" }, T.body),
          GPC ? h("p", { class: "g", id: "gpc" }, T.gpc_notice) : null,
          h("ul", 0, items),
          h("div", { class: "a" }, btn("accept", T.accept_all), btn("reject", T.reject_all), btn("save", T.save)),
          closer("close"))),
    );
  }
  function notice(text) {
    mount();
    if (note) note.remove();
    note = h("div", { class: "n", role: "status" }, h("p", 0, text), btn("reload", T.reload), closer("note"));
    root.append(note);
  }
  // Closing without choosing is a refusal of what was being asked (never consent).
  function close() {
    const open = pending();
    hide();
    if (open.length) decide("dismiss", all(0, open));
  }
  function onClick(e) {
    const b = e.target.closest && e.target.closest("[data-a]");
    if (!b) return;
    const a = b.dataset.a;
    if (a == "choose") return prefs();
    if (a == "close") return close();
    if (a == "reload") return location.reload();
    if (a == "note") return note.remove();
    const d = {};
    ASKED.forEach((p) => (d[p.key] = a == "accept" ? 1 : a == "reject" ? 0 : +root.getElementById("p-" + p.key).checked));
    hide();
    decide(a == "accept" ? "accept_all" : a == "reject" ? "reject_all" : "custom", d);
  }
  function onKey(e) {
    if (e.key == "Escape") {
      e.preventDefault();
      if (ui) close();
      else if (note) note.remove();
    } else if (e.key == "Tab" && ui && ui.className == "m") {
      // The preferences dialog is modal: keep focus inside it.
      const f = [...ui.querySelectorAll("a[href],button,input:not([disabled])")];
      const act = root.activeElement, first = f[0], last = f[f.length - 1];
      if (e.shiftKey ? act == first || !f.includes(act) : act == last) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      }
    }
  }

  // --- start --------------------------------------------------------------------------------
  // Calls queued before the script loaded (window.consent = window.consent || []; consent.push([...]))
  // run now; later pushes run at once.
  const queued = Array.isArray(W.consent) ? W.consent : [];
  const api = (W.consent = {
    _v: 1,
    get,
    on: (ev, f) => ev == "change" && listeners.push(f),
    show: () => ready(prefs),
    push: ([m, ...a]) => api[m] && m != "push" && api[m](...a),
  });
  queued.forEach(api.push);
  if (S) W.gtag("consent", "update", gcm(1));
  if (GPC) {
    const g = OPT.filter((p) => p.gpc_sensitive && (!S || S.d[p.key] !== 0));
    if (g.length) decide("gpc", all(0, g));
  }
  flush();
  ready(() => {
    activate();
    new MutationObserver((ms) => {
      if (ms.some((m) => [...m.addedNodes].some((n) => n.nodeType == 1 && (n.matches(SEL) || n.querySelector(SEL)))))
        activate();
    }).observe(D.documentElement, { childList: true, subtree: true });
    D.addEventListener("click", (e) => {
      if (e.target.closest && e.target.closest("[data-consent-open]")) {
        e.preventDefault();
        prefs();
      }
    });
    if (pending().length) banner();
  });
  // Cookie drift: report names (never values) no declaration covers, once per page load.
  setTimeout(() => {
    const known = (C.cookies || []).map((c) => pattern(c.name));
    const names = cookieNames().filter((n) => n != CK && !known.some((re) => re.test(n)));
    if (names.length) post("observed-cookies", { names: [...new Set(names)].slice(0, 50), page: location.pathname }).catch(() => 0);
  }, 3e3);
})
