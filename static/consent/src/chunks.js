// Optional chunks: code only some sites need (e.g. a TCF module) is built as its own file next
// to banner.js (see build.mjs) and loaded only when the configuration lists its URL in `chunks`.
// A chunk registers itself with window.consent._chunk(setup); setup receives the runtime state.
import { state } from "./state.js";

/** Let chunks register: each calls window.consent._chunk(setup) when it runs. */
export function hostChunks(win) {
  win.consent._chunk = (setup) => setup(state, win.consent);
}

/** Load the configuration's chunks; a promise that each has run or failed to load. */
export function loadChunks(doc) {
  return Promise.all((state.config.chunks || []).map((url) => loadChunk(doc, url).catch(() => 0)));
}

const loading = {};

/** A promise that the chunk at `url` has run (each chunk is loaded once per page). */
export function loadChunk(doc, url) {
  if (!loading[url])
    loading[url] = new Promise((resolve, reject) => {
      const s = doc.createElement("script");
      s.src = new URL(url, state.base).href;
      s.onload = resolve;
      s.onerror = () => reject(delete loading[url]);
      doc.head.append(s);
    });
  return loading[url];
}
