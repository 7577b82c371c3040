// Gated content: scripts written as type="text/plain" and elements whose source waits in
// data-src run only once every purpose named in data-consent is granted.

export const SELECTOR = 'script[type="text/plain"][data-consent],[data-consent][data-src]';

/** Whether every purpose named in the element's data-consent is granted (`get(key) === true`). */
export function allowed(el, get) {
  return el.dataset.consent.split(/[\s,]+/).filter(Boolean).every((k) => get(k) === true);
}

/** Activate one element; for an external script, a promise that settles when it has run. */
export function run(el, doc) {
  if (el.tagName !== "SCRIPT") {
    el.src = el.dataset.src;
    el.removeAttribute("data-src");
    return;
  }
  const s = doc.createElement("script");
  for (const a of el.attributes) if (a.name !== "type" && a.name !== "data-src") s.setAttribute(a.name, a.value);
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

/** A gate over `doc`: activate() runs what is now allowed, in order, each element once. */
export function createGate(doc, get) {
  const done = new WeakSet();
  let chain = Promise.resolve();
  function activate() {
    chain = chain
      .then(() => {
        const list = [...doc.querySelectorAll(SELECTOR)].filter((el) => !done.has(el) && allowed(el, get));
        list.forEach((el) => done.add(el));
        return list.reduce((p, el) => p.then(() => run(el, doc)), Promise.resolve());
      })
      // Hosts (and tests) can tell when what a choice allows has run.
      .then(() => doc.dispatchEvent(new doc.defaultView.Event("consent:activated")));
    return chain;
  }
  /** Elements added later (tag managers, single-page apps) are picked up too. */
  function observe(MutationObserver) {
    new MutationObserver((ms) => {
      const added = (n) => n.nodeType === 1 && (n.matches(SELECTOR) || n.querySelector(SELECTOR));
      if (ms.some((m) => [...m.addedNodes].some(added))) activate();
    }).observe(doc.documentElement, { childList: true, subtree: true });
  }
  return { activate, observe };
}
