// The domains chunk (built to domains.js, loaded by src/chunks.js) for sites on several origins
// (docs/regimes.md, "Consent across a customer's domains"). Third-party cookies cannot carry a
// decision from example.de to example.pl, so the link does:
// - a click on a link to another of the site's origins asks the platform for a short-lived
//   signed token of this visitor's recorded decisions and follows the link with #_cst=<token>
//   (a fragment reaches neither servers nor Referer headers);
// - a page opened with that fragment removes it from the address bar, has the platform record
//   the decisions for this visitor (method cross_domain), applies them here and then lets the
//   runtime decide whether a banner is still needed (event consent:handover).
const FRAGMENT = "_cst";
// "token" is quoted: the build shortens the runtime's own `token` field (build.mjs STATE_FIELDS),
// and quoted names are left alone.

window.consent._chunk((state) => {
  const win = window, doc = document, here = win.location.origin;
  const origins = state.config.handover || [];
  const post = (path, body) =>
    fetch(state.api + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  const hash = win.location.hash, found = new RegExp("[#&]" + FRAGMENT + "=([^&]+)").exec(hash);
  if (found) {
    const rest = hash.slice(1).split("&").filter((part) => !part.startsWith(FRAGMENT + "=")).join("&");
    win.history.replaceState(win.history.state, "", win.location.pathname + win.location.search + (rest ? "#" + rest : ""));
    post("handover/accept", { visitor_id: state.visitorId, "token": decodeURIComponent(found[1]) })
      .then((r) => (r.status === 200 || r.status === 201 ? r.json() : null))
      .then((receipt) => {
        const d = {};
        Object.entries(receipt?.decisions || {}).forEach(([key, v]) => {
          if (state.byKey[key] && !state.byKey[key].essential) d[key] = v.state === "granted" ? 1 : 0;
        });
        if (Object.keys(d).length) state.decide("cross_domain", d);
      })
      .catch(() => 0)
      .then(() => doc.dispatchEvent(new Event("consent:handover")));
  }

  doc.addEventListener("click", (e) => {
    const a = e.target.closest?.("a[href]");
    if (!a || e.defaultPrevented || e.button || e.metaKey || e.ctrlKey || e.shiftKey || !state.stored) return;
    const url = new URL(a.href, win.location.href);
    if (url.origin === here || !origins.includes(url.origin)) return;
    e.preventDefault();
    const go = () => win.location.assign(url.href);
    post("handover", { visitor_id: state.visitorId, target_origin: url.origin })
      .then((r) => (r.ok ? r.json() : null))
      .then((answer) => {
        const token = answer?.["token"];
        if (token) url.hash = (answer.fragment || FRAGMENT) + "=" + encodeURIComponent(token);
      })
      .catch(() => 0)
      .then(go);
  });
});
