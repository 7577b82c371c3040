// The banner, the preferences dialog and the reload notice, in an open shadow root
// (#consent-ui) styled by a constructed stylesheet, so the page's CSS cannot break them.
import { pending } from "./choice.js";
import { all } from "./decide.js";
import { loadChunk } from "./chunks.js";
import { loadDetails } from "./details.js";
import { h } from "./dom.js";
import { state } from "./state.js";

export function createUI({ win, doc, css, decide }) {
  let root, ui, back, note;
  const T = () => state.texts;
  const btn = (a, text) => h("button", { type: "button", "data-a": a }, text);
  const closer = (a) => h("button", { type: "button", class: "x", "data-a": a, "aria-label": T().close }, "×");

  function mount() {
    if (root) return;
    const host = h("div", { id: "consent-ui" });
    root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets && win.CSSStyleSheet) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } else root.append(h("link", { rel: "stylesheet", href: new URL(state.config.css_url, state.base).href }));
    root.addEventListener("click", onClick);
    root.addEventListener("keydown", onKey);
    doc.body.append(host);
  }
  // `later`: focus moves in once the banner is painted (after the next frame): focusing at once
  // would force a layout of the whole page inside the runtime's start, delaying the paint.
  function show(el, later) {
    hide();
    back = back || doc.activeElement;
    ui = el;
    root.append(ui);
    const focus = () => ui === el && (el.querySelector("[role=dialog]") || el).focus();
    if (later) win.requestAnimationFrame(() => win.setTimeout(focus));
    else focus();
  }
  function hide() {
    if (!ui) return;
    ui.remove();
    ui = null;
    back?.focus?.();
    back = null;
  }

  function banner() {
    const t = T(), policy = state.config.policy_url;
    mount();
    show(
      h("div", { class: "b", role: "dialog", "aria-labelledby": "ct", "aria-describedby": "cd", tabindex: -1, lang: state.language },
        h("h2", { id: "ct" }, t.title),
        h("div", { id: "cd" },
          h("p", 0, t.body),
          h("p", 0, t.dismiss_notice),
          state.gpc && state.optional.some((p) => p.gpc_sensitive) ? h("p", { class: "g" }, t.gpc_notice) : null),
        policy ? h("p", 0, h("a", { href: policy }, t.policy_link)) : null,
        h("div", { class: "a" }, btn("accept", t.accept_all), btn("reject", t.reject_all), btn("choose", t.choose)),
        closer("close")),
      1,
    );
  }

  // The dialog's code (prefs.js) and its details come with the first opening, not with the page.
  function prefs() {
    mount();
    Promise.all([loadChunk(doc, state.config.prefs), loadDetails(state.language)]).then(
      ([, details]) => state.prefsUI({ show, btn, closer, root }, details),
      () => 0,
    );
  }

  function notice(text) {
    mount();
    if (note) note.remove();
    note = h("div", { class: "n", role: "status" }, h("p", 0, text), btn("reload", T().reload), closer("note"));
    root.append(note);
  }

  // Closing without choosing is a refusal of what was being asked (never consent).
  function close() {
    const open = pending();
    hide();
    if (open.length) decide("dismiss", all(0, open));
  }
  function onClick(e) {
    const b = e.target.closest?.("[data-a]");
    if (!b) return;
    const a = b.dataset.a;
    if (a === "choose") return prefs();
    if (a === "close") return close();
    if (a === "reload") return win.location.reload();
    if (a === "note") return note.remove();
    const d = {}, x = {};
    state.asked.forEach((p) => (d[p.key] = a === "accept" ? 1 : a === "reject" ? 0 : +root.getElementById("p-" + p.key).checked));
    // Per-company choices go with a save: those refused, and those allowed again.
    if (a === "save") root.querySelectorAll("[data-pv]").forEach((i) => {
      const pv = i.dataset.pv;
      if (!i.checked || state.stored?.x?.[pv] === 0) x[pv] = +i.checked;
    });
    hide();
    decide(a === "accept" ? "accept_all" : a === "reject" ? "reject_all" : "custom", d, x);
  }
  function onKey(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      if (ui) close();
      else if (note) note.remove();
    } else if (e.key === "Tab" && ui && ui.className === "m") {
      // The preferences dialog is modal: keep focus inside it.
      const f = [...ui.querySelectorAll("a[href],button,input:not([disabled])")];
      const act = root.activeElement, first = f[0], last = f[f.length - 1];
      if (e.shiftKey ? act === first || !f.includes(act) : act === last) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      }
    }
  }

  return { banner, prefs, notice };
}
