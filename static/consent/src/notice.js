// A chunk (see chunks.js), loaded only while a material policy change is in its notice period:
// visitors who already chose see a small notice of the change with a link to its differences
// (not the banner again), once per policy version. It keeps to the configuration and the public
// API: the main bundle's private state fields are renamed when built.
window.consent._chunk((state, api) => {
  const win = window, doc = document, n = state.config.notice, t = state.texts;
  const seen = "consent_" + state.config.site + "_notice";
  let store;
  try {
    store = win.localStorage;
  } catch {
    // storage blocked: shown on each page
  }
  const chosen = state.purposes.every((p) => p.essential || api.get(p.key) !== undefined);
  if (!n || !chosen || store?.getItem(seen) === "" + n.v) return;
  const el = (tag, attrs, ...kids) => {
    const e = doc.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    e.append(...kids);
    return e;
  };
  const host = el("div", { id: "consent-notice" });
  const root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && win.CSSStyleSheet) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(
      "div{position:fixed;z-index:2147483646;left:.75rem;bottom:.75rem;max-width:30rem;background:#fff;color:#111;" +
        "border:1px solid #595959;border-radius:8px;padding:.5rem 2.5rem .5rem .75rem;font:14px/1.4 system-ui,sans-serif}" +
        "button{position:absolute;top:.25rem;right:.25rem;min-width:32px;min-height:32px;border:0;background:none;font-size:1.25rem;cursor:pointer}",
    );
    root.adoptedStyleSheets = [sheet];
  }
  const close = el("button", { type: "button", "aria-label": t.close }, "×");
  const link = el("a", { href: new URL(n.url, state.base).href }, t.change_link);
  root.append(el("div", { role: "status", lang: state.language }, t.change_notice.replace("{date}", n.at) + " ", link, close));
  close.addEventListener("click", () => {
    host.remove();
    store?.setItem(seen, n.v);
  });
  (doc.body ? Promise.resolve() : new Promise((r) => doc.addEventListener("DOMContentLoaded", r))).then(() => doc.body.append(host));
});
