// Decodes GPP strings with IAB's own library (@iabgpp/cmpapi), the reference the runtime's
// encoder is tested against. As a script: `node gpp-decode.js STRING...` prints one JSON object
// per string, {section name: {field: value}} (the browser tests decode what Chromium sent).
import { GppModel } from "@iabgpp/cmpapi";
import { argv } from "node:process";
import { fileURLToPath } from "node:url";

/** Every section of the string with its fields, as IAB's library reads them. */
export function decodeGpp(gppString) {
  return new GppModel(gppString).toObject();
}

if (argv[1] === fileURLToPath(import.meta.url)) {
  argv.slice(2).forEach((s) => console.log(JSON.stringify(decodeGpp(s))));
}
