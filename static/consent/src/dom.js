// Building elements without innerHTML, inline handlers or style attributes (strict CSP).

/** h("p", {class: "g"}, "text", child, [more]) -> element; false/null attributes are left out. */
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const k in attrs || {})
    if (attrs[k] !== false && attrs[k] != null) e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
  kids.flat().forEach((c) => c != null && e.append(c));
  return e;
}

/** Run f once the document has been parsed. */
export function ready(f) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", f);
  else f();
}

/** Run f as soon as document.body exists (an async script may run before it is parsed). */
export function whenBody(doc, f) {
  if (doc.body) return f();
  const watch = new MutationObserver(() => {
    if (doc.body) {
      watch.disconnect();
      f();
    }
  });
  watch.observe(doc.documentElement, { childList: true });
}
