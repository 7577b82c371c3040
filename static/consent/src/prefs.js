// The preferences dialog, built to prefs.js and loaded by ui.js the first time the dialog opens,
// together with the details (descriptions, vendor and cookie lists, every text): the first
// layer, which every page view loads, carries none of it. Registered through
// window.consent._chunk, it reads the runtime's own state and API (a chunk has no state of its own).
import { describe } from "./details.js";
import { h } from "./dom.js";

window.consent._chunk((state, api) => {
  let styled;
  /** Build and show the dialog; `ui` lends the runtime's show(), btn(), closer() and shadow root. */
  state.prefsUI = (ui, details) => {
    // The dialog's styles (__PREFS_CSS__, the end of banner.css) join the first layer's, once;
    // where constructed stylesheets are missing, the linked banner.css already holds them.
    if (!styled && ui.root.adoptedStyleSheets && window.CSSStyleSheet) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(__PREFS_CSS__);
      ui.root.adoptedStyleSheets = [...ui.root.adoptedStyleSheets, sheet];
      styled = 1;
    }
    const t = Object.assign({}, details.texts, state.texts), described = {};
    details.purposes.forEach((p) => (described[p.key] = p));
    const items = state.purposes.map((p) => {
      const id = "p-" + p.key, locked = p.essential || (state.gpc && p.gpc_sensitive);
      return h("li", { "data-k": p.key },
        h("label", { for: id },
          h("input", {
            type: "checkbox", id, "data-k": p.key, "aria-describedby": id + "-d",
            checked: p.essential || (!locked && api.get(p.key) === true), disabled: locked,
          }),
          h("span", 0, p.name),
          p.essential ? h("small", 0, t.essential_label) : null),
        h("p", { id: id + "-d" }, described[p.key]?.description || p.description || ""),
        describe(details, p.key).map((line) => h("p", { class: "v" }, line)),
        // A switch per company the purpose shares data with: refusing one keeps the others.
        (described[p.key]?.vendors || []).map((v) => {
          const pv = p.key + " " + v;
          return h("label", { class: "vv" },
            h("input", { type: "checkbox", "data-pv": pv, checked: state.stored?.x?.[pv] !== 0 }), details.vendors[v]?.name || v);
        }));
    });
    ui.show(h("div", { class: "m" },
      h("div", { class: "p", role: "dialog", "aria-modal": "true", "aria-labelledby": "pt", "aria-describedby": "pd", tabindex: -1, lang: state.language },
        h("h2", { id: "pt" }, t.prefs_title),
        h("p", { id: "pd" }, t.body),
        state.gpc ? h("p", { class: "g", id: "gpc" }, t.gpc_notice) : null,
        h("ul", 0, items),
        h("div", { class: "a" }, ui.btn("accept", t.accept_all), ui.btn("reject", t.reject_all), ui.btn("save", t.save)),
        ui.closer("close"))));
  };
});
