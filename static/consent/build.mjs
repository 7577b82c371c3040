// Bundle the banner runtime (src/*.js) and its CSS into the one file the embed endpoint
// serves: static/consent/banner.js, minified, committed so that serving needs no Node.
//   node static/consent/build.mjs           write the built files
//   node static/consent/build.mjs --check   exit 1 if a committed built file is stale
// Each entry is one file the browser may load: banner.js always; optional chunks (e.g. a TCF
// module for TCF sites only) are added here as further entries, loaded by src/chunks.js.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
// Banner.js and the chunks that read its state (regime, domains) share one mangle cache, so a
// chunk reads the runtime's state under the same short names. The TCF chunk and its stub read
// only unmangled fields and are built without property mangling.
const ENTRIES = [
  { source: "src/main.js", output: "banner.js", mangle: true },
  // The same runtime with preview mode built in, for the console's banner editor only: preview
  // code costs visitors nothing (src/preview.js).
  { source: "src/main.js", output: "banner-preview.js", mangle: true, preview: true },
  // The preferences dialog, loaded the first time it opens (src/ui.js).
  { source: "src/prefs.js", output: "prefs.js", mangle: true },
  // Outside opt-in regimes: the opt-out link and dialog, the notice, the GPP API (docs/regimes.md).
  { source: "src/regime.js", output: "regime.js", mangle: true },
  // Sites on several domains: hands the decision over on links to the site's other origins.
  { source: "src/domains.js", output: "domains.js", mangle: true },
  // Loaded only while a material policy change is in its notice period (cookies/wire.py).
  { source: "src/notice.js", output: "notice.js", mangle: true },
  // TCF sites only (docs/tcf.md).
  { source: "src/tcf/index.js", output: "tcf.js" },
  { source: "src/tcf/stub-entry.js", output: "tcf-stub.js" },
];
const TARGET = ["es2020"];
// Fields of the runtime's state object (src/state.js) that no configuration, DOM or public API
// shares: their names are shortened in the bundle.
const STATE_FIELDS = /^(stored|visitorId|byKey|optional|asked|cookieName|lifetimeMs|listeners|token|gpc)$/;

// banner.css in two parts: the first layer's styles (built into banner.js) and, from the marker
// on, the preferences dialog's (built into prefs.js, adopted when the dialog first opens).
const PREFS_MARKER = "/* The preferences dialog";
const [firstLayer, dialog] = readFileSync(join(here, "banner.css"), "utf8").split(PREFS_MARKER);
if (dialog === undefined) throw new Error(`banner.css: no "${PREFS_MARKER}" section`);
const minifyCss = (source) => esbuild.transformSync(source, { loader: "css", minify: true, target: TARGET }).code.trim();
const css = minifyCss(firstLayer);
const prefsCss = minifyCss(PREFS_MARKER + dialog);

let stale = 0;
let mangleCache = {};
for (const { source, output, mangle, preview } of ENTRIES) {
  const result = esbuild.buildSync({
    entryPoints: [join(here, source)],
    bundle: true,
    format: "iife",
    minify: true,
    legalComments: "none",
    target: TARGET,
    define: { __CSS__: JSON.stringify(css), __PREFS_CSS__: JSON.stringify(prefsCss), __PREVIEW__: preview ? "true" : "false" },
    ...(mangle ? { mangleProps: STATE_FIELDS, mangleCache } : {}),
    write: false,
  });
  mangleCache = result.mangleCache;
  const code = result.outputFiles[0].text;
  const path = join(here, output);
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      // missing counts as stale
    }
    if (current !== code) {
      console.error(`static/consent/${output} is stale: run npm run build and commit it`);
      stale = 1;
    }
  } else {
    writeFileSync(path, code);
    console.log(`static/consent/${output}: ${code.length} bytes`);
  }
}
process.exit(stale);
