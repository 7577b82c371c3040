// What a visitor outside the opt-in regimes sees, in its own shadow root (#consent-regime):
// - opt_out: no blocking banner; a "Do Not Sell or Share My Personal Information" link (CCPA
//   1798.135; any element with data-consent-optout opens the same dialog) and a small dialog
//   that opts out of sale, sharing and targeted advertising, says "Opt-Out Request Honored"
//   once it is, and leads to the full preferences. Once the re-ask time of the regime has
//   passed (at least 12 months), the dialog is shown again, once.
// - notice: a dismissable notice (display "notice") or nothing (display "none").
const CSS =
  ":host{all:initial}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif;color:#111}" +
  ".l{position:fixed;left:12px;bottom:12px;z-index:2147483646;background:#fff;border:1px solid #555;" +
  "border-radius:6px;padding:6px 10px;text-decoration:underline;cursor:pointer}" +
  ".d,.n{position:fixed;left:12px;bottom:56px;z-index:2147483647;max-width:26rem;background:#fff;" +
  "border:1px solid #555;border-radius:8px;padding:16px;box-shadow:0 4px 20px #0004}" +
  "h2{font-size:17px;font-weight:600;margin:0 0 8px}p{margin:0 0 10px}.h{color:#0a5c2e;font-weight:600}" +
  "button{border:1px solid #222;border-radius:6px;padding:7px 12px;margin:4px 8px 0 0;background:#fff;cursor:pointer}" +
  "button.p{background:#111;color:#fff}button:focus-visible,.l:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}";

// The link's wording is the one CCPA 1798.135(a) names; other languages fall back to English.
export const TEXTS = {
  en: {
    optout_link: "Do Not Sell or Share My Personal Information",
    optout_title: "Your Privacy Choices",
    optout_body:
      "You can opt out of the sale and sharing of your personal information and of targeted advertising. " +
      "Purposes that need your permission stay off until you give it.",
    optout_button: "Opt out of sale and sharing",
    optout_honored: "Opt-Out Request Honored",
    more_choices: "More choices",
    notice_ok: "OK",
  },
  fr: {
    optout_link: "Ne pas vendre ni partager mes informations personnelles",
    optout_title: "Vos choix de confidentialité",
    optout_body:
      "Vous pouvez refuser la vente et le partage de vos informations personnelles et la publicité ciblée. " +
      "Les finalités qui demandent votre permission restent désactivées sans elle.",
    optout_button: "Refuser la vente et le partage",
    optout_honored: "Demande de refus respectée",
    more_choices: "Plus de choix",
    notice_ok: "OK",
  },
};

function el(doc, tag, attrs, ...children) {
  const e = doc.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
  e.append(...children.filter((c) => c != null));
  return e;
}

/**
 * `sale`: the purposes an opt-out of sale and sharing refuses; `optedOut()`: whether it stands.
 * Returns {start, open}: start() shows what the regime needs; open() says whether the dialog is up.
 */
export function createRegimeUI({ win, doc, state, api, sale, optedOut }) {
  // The site's own wording (published banner texts) wins over the built-in one.
  const regime = state.config.regime, t = Object.assign({}, TEXTS.en, TEXTS[state.language], state.texts);
  let root, dialog, back;
  const button = (a, text, cls) => el(doc, "button", { type: "button", "data-a": a, class: cls || "" }, text);

  function mount() {
    if (root) return;
    const host = el(doc, "div", { id: "consent-regime" });
    root = host.attachShadow({ mode: "open" });
    const sheet = new win.CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    root.addEventListener("click", onClick);
    root.addEventListener("keydown", (e) => e.key === "Escape" && dialog && close());
    doc.body.append(host);
  }

  function link() {
    mount();
    root.append(el(doc, "a", { href: "#", class: "l", "data-a": "open", id: "consent-optout-link" }, t.optout_link));
  }

  function open(reask) {
    mount();
    if (dialog) dialog.remove();
    back = back || doc.activeElement;
    const honoured = optedOut();
    dialog = el(doc, "div", { class: "d", role: "dialog", "aria-modal": "false", "aria-labelledby": "ot", tabindex: "-1", lang: state.language, "data-reask": reask ? "1" : "" },
      el(doc, "h2", { id: "ot" }, t.optout_title),
      el(doc, "p", 0, t.optout_body),
      honoured ? el(doc, "p", { class: "h", role: "status", id: "consent-optout-honored" }, t.optout_honored) : null,
      state.config.policy_url ? el(doc, "p", 0, el(doc, "a", { href: state.config.policy_url }, state.texts.policy_link)) : null,
      honoured ? null : button("optout", t.optout_button, "p"),
      button("more", t.more_choices),
      button("close", state.texts.close));
    root.append(dialog);
    dialog.focus();
  }

  function hide() {
    dialog?.remove();
    dialog = null;
    back?.focus?.();
    back = null;
  }

  const refusals = () => {
    const d = {};
    sale.forEach((p) => (d[p.key] = 0));
    return d;
  };

  // Closing the dialog shown again after the re-ask time keeps the opt-out (recorded anew).
  function close() {
    const reask = dialog?.dataset.reask;
    hide();
    if (reask) state.decide("dismiss", refusals());
  }

  function onClick(e) {
    const a = e.target.closest?.("[data-a]")?.dataset.a;
    if (!a) return;
    e.preventDefault();
    if (a === "open") return open();
    if (a === "close") return close();
    if (a === "more") return hide(), api.show();
    if (a === "optout") {
      state.decide("custom", refusals());
      return open();
    }
    if (a === "dismiss") {
      try {
        win.localStorage.setItem(state.cookieName + "_notice", "1");
      } catch {
        // storage blocked: the notice shows again on the next page
      }
      root.querySelector(".n")?.remove();
    }
  }

  function notice() {
    try {
      if (win.localStorage.getItem(state.cookieName + "_notice")) return;
    } catch {
      // storage blocked: show it
    }
    mount();
    const policy = state.config.policy_url;
    root.append(
      el(doc, "div", { class: "n", role: "region", "aria-label": state.texts.title, lang: state.language, id: "consent-notice" },
        el(doc, "h2", 0, state.texts.title),
        el(doc, "p", 0, state.texts.body),
        policy ? el(doc, "p", 0, el(doc, "a", { href: policy }, state.texts.policy_link)) : null,
        button("dismiss", t.notice_ok || state.texts.close, "p")),
    );
  }

  function start() {
    if (regime.name === "notice") {
      if (regime.display === "notice") notice();
      return;
    }
    link();
    doc.addEventListener("click", (e) => {
      if (e.target.closest?.("[data-consent-optout]")) {
        e.preventDefault();
        open();
      }
    });
    const s = state.stored;
    if (s && sale.some((p) => s.d[p.key] === 0) && s.t + state.lifetimeMs <= Date.now()) open(true);
  }

  return { start, open: () => !!dialog };
}
