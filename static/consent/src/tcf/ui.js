// What the TCF policies require the UI to show, added to the runtime's banner and preferences
// (in its open shadow root): on the first layer the purposes, special features and the number
// of vendors; in the preferences a consent switch per purpose, an objection switch per purpose
// under legitimate interest, special feature opt-ins, and the vendor list with each vendor's
// purposes, legitimate interests, retention, privacy policy and its own switches.
import { h } from "../dom.js";
import { NO_LI, declared } from "./model.js";
import { fill, texts } from "./texts.js";

const names = (gvl, section, ids) => ids.map((id) => (gvl[section][id] || {}).name || "#" + id);

function check(id, label, checked) {
  return h("label", { for: id, class: "t" }, h("input", { type: "checkbox", id, checked: !!checked }), h("span", 0, label));
}

/** The first layer's TCF paragraph: number of vendors, purposes, special features. */
export function firstLayer(cfg, gvl, language) {
  const t = texts(language), d = declared(cfg), n = Object.keys(cfg.vendors).length;
  const purposes = [...new Set([...d.consent, ...d.li])].sort((a, b) => a - b);
  return h("div", { class: "tcf", "data-tcf": "first" },
    h("p", 0, fill(t.first, { n })),
    h("ul", 0, names(gvl, "purposes", purposes).map((name) => h("li", 0, name))),
    d.features.size ? h("p", 0, t.features + " " + names(gvl, "specialFeatures", [...d.features]).join(", ")) : null,
    h("p", 0, h("button", { type: "button", "data-a": "choose", "data-tcf": "partners" }, fill(t.partners, { n }))));
}

function vendorItem(t, gvl, language, cfg, id, choices) {
  const v = gvl.vendors[id] || { name: "#" + id }, [p, l, f, s] = cfg.vendors[id];
  const found = ((v.urls || []).find((u) => u.langId === language) || (v.urls || [])[0] || {}).privacy;
  const url = /^https?:\/\//i.test(found || "") ? found : ""; // a link, never script
  const retention = v.dataRetention && v.dataRetention.stdRetention;
  const lines = [
    [t.v_purposes, names(gvl, "purposes", [...new Set([...p, ...f])])],
    [t.v_li, names(gvl, "purposes", l.filter((x) => !NO_LI.has(x)))],
    [t.v_special, names(gvl, "specialPurposes", v.specialPurposes || [])],
    [t.v_features, names(gvl, "features", v.features || []).concat(names(gvl, "specialFeatures", s))],
  ].filter(([, list]) => list.length);
  return h("details", { "data-vendor": id },
    h("summary", 0, v.name),
    p.length || f.length ? check("tcf-vc-" + id, t.consent, choices.vendorConsents.has(+id)) : null,
    l.some((x) => !NO_LI.has(x)) ? check("tcf-vl-" + id, t.li, !choices.vendorObjections.has(+id)) : null,
    lines.map(([label, list]) => h("p", 0, label + ": " + list.join(", "))),
    retention !== undefined ? h("p", 0, t.v_retention + ": " + retention + " " + t.v_days) : null,
    v.cookieMaxAgeSeconds ? h("p", 0, t.v_cookie + ": " + Math.round(v.cookieMaxAgeSeconds / 86400) + " " + t.v_days) : null,
    url ? h("p", 0, h("a", { href: url, target: "_blank", rel: "noopener" }, t.v_policy)) : null);
}

/** The preferences' TCF section; the switches start from `choices`. */
export function prefsSection(cfg, gvl, language, choices) {
  const t = texts(language), d = declared(cfg);
  const purposes = [...new Set([...d.consent, ...d.li])].sort((a, b) => a - b);
  const special = new Set();
  Object.keys(cfg.vendors).forEach((id) => ((gvl.vendors[id] || {}).specialPurposes || []).forEach((x) => special.add(x)));
  const ids = Object.keys(cfg.vendors).sort((a, b) => ((gvl.vendors[a] || {}).name || "").localeCompare((gvl.vendors[b] || {}).name || ""));
  const ac = cfg.ac_ids || [];
  return h("div", { class: "tcf", "data-tcf": "prefs" },
    h("h3", 0, t.heading),
    h("ul", 0, purposes.map((id) => {
      const p = gvl.purposes[id] || {};
      return h("li", { "data-purpose": id },
        h("strong", 0, p.name || "#" + id),
        h("p", 0, p.description || ""),
        d.consent.has(id) ? check("tcf-pc-" + id, t.consent, choices.purposeConsents.has(id)) : null,
        d.li.has(id) ? check("tcf-pl-" + id, t.li, !choices.purposeObjections.has(id)) : null);
    })),
    h("ul", 0, [...d.features].map((id) => h("li", 0,
      check("tcf-sf-" + id, (gvl.specialFeatures[id] || {}).name || "#" + id, choices.specialFeatures.has(id)),
      h("p", 0, (gvl.specialFeatures[id] || {}).description || ""))),
    ),
    special.size ? h("p", 0, fill(t.special, { list: names(gvl, "specialPurposes", [...special]).join(", ") })) : null,
    h("details", { "data-tcf": "vendors" },
      h("summary", 0, fill(t.vendors, { n: ids.length })),
      ids.map((id) => vendorItem(t, gvl, language, cfg, id, choices))),
    ac.length ? check("tcf-ac", fill(t.ac, { n: ac.length }), choices.ac.size > 0) : null);
}

/** The choices the preferences' switches show now (or null if the section is not there). */
export function readSection(root, cfg) {
  if (!root || !root.querySelector("[data-tcf=prefs]")) return null;
  const on = (id) => {
    const el = root.getElementById(id);
    return el ? el.checked : null;
  };
  const d = declared(cfg), ids = Object.keys(cfg.vendors).map(Number);
  return {
    purposeConsents: new Set([...d.consent].filter((id) => on("tcf-pc-" + id))),
    purposeObjections: new Set([...d.li].filter((id) => on("tcf-pl-" + id) === false)),
    vendorConsents: new Set(ids.filter((id) => on("tcf-vc-" + id))),
    vendorObjections: new Set(ids.filter((id) => on("tcf-vl-" + id) === false)),
    specialFeatures: new Set([...d.features].filter((id) => on("tcf-sf-" + id))),
    ac: new Set(on("tcf-ac") ? cfg.ac_ids : []),
  };
}
