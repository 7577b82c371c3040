// Optional chunks: code only some sites need (e.g. a TCF module) is built as its own file next
// to banner.js (see build.mjs) and loaded only when the configuration lists its URL in `chunks`.
// A chunk registers itself with window.consent._chunk(setup); setup receives the runtime state.
import { state } from "./state.js";

export function loadChunks(doc, win) {
  const urls = state.config.chunks || [];
  if (!urls.length) return;
  win.consent._chunk = (setup) => setup(state, win.consent);
  urls.forEach((url) => {
    const s = doc.createElement("script");
    s.src = new URL(url, state.base).href;
    doc.head.append(s);
  });
}
