// The IAB Global Privacy Platform string and its CMP API (window.__gpp, API version 1.1), for
// visitors under a US opt-out law. Only in the regime chunk (src/regime.js).
//
// String: a header section (type 3, version 1, the section ids as a Fibonacci-coded range), then
// one section per id, joined with "~". Each section is a core segment of fixed-width integers and,
// where the section has one, a GPC subsection (type 1, one bit), joined with ".". Bits are
// written in base64url (A-Z a-z 0-9 - _), padded with zeros to whole bytes then to whole
// characters. Every 2-bit field: 0 not applicable, 1 yes / opted out / notice given, 2 no / did not.

// [id, name, version, fields (name or [name, count]), has a GPC subsection]. The first field is
// the section's 6-bit version ("Version", or "MspaVersion" in the sections that open with the
// MSPA fields); every other field is 2 bits. The order is the spec's (and @iabgpp/cmpapi's).
const V = "Version", MV = "MspaVersion";
const N = "SharingNotice", SN = "SaleOptOutNotice", HN = "SharingOptOutNotice", TN = "TargetedAdvertisingOptOutNotice";
const PN = "SensitiveDataProcessingOptOutNotice", LN = "SensitiveDataLimitUseNotice", RN = "ProcessingNotice";
const S = "SaleOptOut", H = "SharingOptOut", T = "TargetedAdvertisingOptOut";
const SDP = "SensitiveDataProcessing", KID = "KnownChildSensitiveDataConsents", PDC = "PersonalDataConsents";
const ADC = "AdditionalDataProcessingConsent", MCT = "MspaCoveredTransaction", MM = "MspaMode";
const MSPA = [MCT, "MspaOptOutOptionMode", "MspaServiceProviderMode"];
const list = (name, count) => (count > 1 ? [name, count] : name);
// The 2024-2025 state sections: processing notice, sale and targeted advertising, sensitive data
// and known-child lists of the state's length, additional processing consent, then the MSPA.
const later = (notice, sdp, kid) => [V, notice, SN, TN, S, T, [SDP, sdp], list(KID, kid), ADC, ...MSPA];
// Maryland, Indiana, Kentucky, Rhode Island: the MSPA fields first, no sensitive-data list in the
// core (Indiana, Kentucky and Rhode Island carry it in an optional subsection, left out here).
const mspaFirst = (...tail) => [MV, MCT, MM, RN, SN, TN, S, T, ...tail];

export const SECTIONS = [
  [7, "usnat", 2, [V, N, SN, HN, TN, PN, LN, S, H, T, [SDP, 16], [KID, 3], PDC, ...MSPA], true],
  [8, "usca", 1, [V, SN, HN, LN, S, H, [SDP, 9], [KID, 2], PDC, ...MSPA], true],
  [9, "usva", 1, [V, N, SN, TN, S, T, [SDP, 8], KID, ...MSPA], false],
  [10, "usco", 1, [V, N, SN, TN, S, T, [SDP, 7], KID, ...MSPA], true],
  [11, "usut", 1, [V, N, SN, TN, PN, S, T, [SDP, 8], KID, ...MSPA], false],
  [12, "usct", 1, [V, N, SN, TN, S, T, [SDP, 8], [KID, 3], ...MSPA], true],
  [13, "usfl", 1, later(RN, 8, 3), false],
  [14, "usmt", 1, later(N, 8, 3), true],
  [15, "usor", 1, later(RN, 11, 3), true],
  [16, "ustx", 1, later(RN, 8, 1), true],
  [17, "usde", 1, later(RN, 9, 5), true],
  [18, "usia", 1, [V, RN, SN, TN, "SensitiveDataOptOutNotice", S, T, [SDP, 8], KID, ...MSPA], true],
  [19, "usne", 1, later(RN, 8, 1), true],
  [20, "usnh", 1, later(RN, 8, 3), true],
  [21, "usnj", 1, later(RN, 10, 5), true],
  [22, "ustn", 1, later(RN, 8, 1), true],
  [23, "usmn", 1, later(RN, 8, 1), true],
  [24, "usmd", 1, mspaFirst(ADC), true],
  [25, "usin", 1, mspaFirst(KID, ADC), false],
  [26, "usky", 1, mspaFirst(KID, ADC), false],
  [27, "usri", 1, mspaFirst(KID, ADC), false],
];
const STATES = "CA VA CO UT CT FL MT OR TX DE IA NE NH NJ TN MN MD IN KY RI".split(" ");
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const int = (value, width) => value.toString(2).padStart(width, "0");

/** Zeckendorf code of n >= 1: a bit per Fibonacci number (1, 2, 3, 5...), lowest first, then "1". */
export function fibonacci(n) {
  const fib = [1, 2];
  while (fib[fib.length - 1] + fib[fib.length - 2] <= n) fib.push(fib[fib.length - 1] + fib[fib.length - 2]);
  const bits = [];
  for (let i = fib.length - 1; i >= 0; i--) {
    if (fib[i] <= n) {
      bits[i] = 1;
      n -= fib[i];
    } else bits[i] = 0;
  }
  const code = bits.join("").replace(/0+$/, "");
  return code + "1";
}

/** Section ids as a Fibonacci range: a 12-bit count of groups, then each group as offsets. */
function range(ids) {
  const groups = [];
  ids.forEach((id) => {
    const last = groups[groups.length - 1];
    if (last && last[1] + 1 === id) last[1] = id;
    else groups.push([id, id]);
  });
  let bits = int(groups.length, 12), at = 0;
  groups.forEach(([first, lastId]) => {
    bits += first === lastId ? "0" + fibonacci(first - at) : "1" + fibonacci(first - at) + fibonacci(lastId - first);
    at = lastId;
  });
  return bits;
}

export function base64url(bits) {
  while (bits.length % 8) bits += "0";
  while (bits.length % 6) bits += "0";
  let out = "";
  for (let i = 0; i < bits.length; i += 6) out += B64[parseInt(bits.slice(i, i + 6), 2)];
  return out;
}

/** The sections that apply to a place ("US-CA"): usnat for every US place, plus the state's own. */
export function sectionIds(place) {
  if (!/^US(-|$)/.test(place || "")) return [];
  const own = STATES.indexOf(place.slice(3));
  return own < 0 ? [7] : [7, own + 8];
}

/**
 * Field values of the sections from the visitor's choice: `optedOut` (sale, sharing and
 * targeted advertising refused), `gpc` (the browser's signal). The privacy notice and the notices
 * of the opt-out are given (the link is on every page); the site is not a party to the MSPA; any
 * field not named (sensitive data, known child, consents, MSPA modes) is 0, not applicable.
 */
export function fieldValues({ optedOut, gpc }) {
  const choice = optedOut ? 1 : 2;
  return {
    [N]: 1, [RN]: 1, [SN]: 1, [HN]: 1, [TN]: 1,
    [S]: choice, [H]: choice, [T]: choice, [MCT]: 2,
    Gpc: !!gpc,
  };
}

/** {name: {field: value}} of each section, from fieldValues(). */
export function sectionObjects(ids, values) {
  const out = {};
  SECTIONS.filter((s) => ids.includes(s[0])).forEach(([, name, version, fields, gpc]) => {
    const o = (out[name] = {});
    fields.forEach((f, i) => {
      const [field, count] = Array.isArray(f) ? f : [f, 0];
      o[field] = i ? (count ? Array(count).fill(values[field] || 0) : values[field] || 0) : version;
    });
    if (gpc) {
      o.GpcSegmentType = 1;
      o.Gpc = values.Gpc;
    }
  });
  return out;
}

/** The GPP string of the sections `ids` with `values`; "" when no section applies. */
export function encode(ids, values) {
  if (!ids.length) return "";
  const objects = sectionObjects(ids, values);
  const parts = [base64url(int(3, 6) + int(1, 6) + range(ids))];
  SECTIONS.filter((s) => ids.includes(s[0])).forEach(([, name, , fields, gpc]) => {
    const o = objects[name];
    let bits = "";
    fields.forEach((f, i) => {
      const field = Array.isArray(f) ? f[0] : f;
      [].concat(o[field]).forEach((v) => (bits += int(v, i ? 2 : 6)));
    });
    parts.push(base64url(bits) + (gpc ? "." + base64url("01" + (o.Gpc ? "1" : "0")) : ""));
  });
  return parts.join("~");
}

/**
 * Install window.__gpp. `current()` returns {ids, values}; `displayed()` whether the CMP's UI is
 * open. Calls queued by the IAB stub (`__gpp()` returns them) are answered first. Returns
 * `changed()`, to call after every decision: listeners get a "sectionChange" and a
 * "signalStatus" event.
 */
export function installGpp(win, { current, displayed, cmpId = 0 }) {
  const listeners = new Map();
  let nextId = 1;
  const gppString = () => encode(current().ids, current().values);
  const ping = () => {
    const { ids } = current();
    return {
      gppVersion: "1.1",
      cmpStatus: "loaded",
      cmpDisplayStatus: displayed() ? "visible" : "hidden",
      signalStatus: "ready",
      supportedAPIs: SECTIONS.map((s) => s[0] + ":" + s[1]),
      cmpId,
      sectionList: ids,
      applicableSections: ids.length ? [ids[ids.length - 1]] : [-1],
      gppString: gppString(),
      parsedSections: sectionObjects(ids, current().values),
    };
  };
  const nameOf = (name) => SECTIONS.find((s) => s[1] === name && current().ids.includes(s[0]));
  const commands = {
    ping: (cb) => cb(ping(), true),
    addEventListener: (cb) => {
      const id = nextId++;
      listeners.set(id, cb);
      cb({ eventName: "listenerRegistered", listenerId: id, data: true, pingData: ping() }, true);
    },
    removeEventListener: (cb, id) => cb(listeners.delete(id), true),
    hasSection: (cb, name) => cb(!!nameOf(name), true),
    getSection: (cb, name) => cb(nameOf(name) ? sectionObjects(current().ids, current().values)[name] : null, true),
    getField: (cb, path) => {
      const [name, field] = String(path).split(".");
      const section = nameOf(name) ? sectionObjects(current().ids, current().values)[name] : null;
      cb(section && field in section ? section[field] : null, true);
    },
  };
  function gpp(command, callback, parameter) {
    const cb = typeof callback === "function" ? callback : () => 0;
    const run = commands[command];
    if (!run) return cb(null, false);
    try {
      run(cb, parameter);
    } catch {
      cb(null, false);
    }
  }
  let queued = [];
  try {
    queued = (typeof win.__gpp === "function" && win.__gpp()) || [];
  } catch {
    // a stub that cannot be asked for its queue
  }
  win.__gpp = gpp;
  [].slice.call(queued).forEach((args) => gpp(...args));
  return function changed() {
    const data = ping();
    const names = Object.keys(data.parsedSections);
    listeners.forEach((cb, id) => {
      names.forEach((name) => cb({ eventName: "sectionChange", listenerId: id, data: name, pingData: data }, true));
      cb({ eventName: "signalStatus", listenerId: id, data: "ready", pingData: data }, true);
    });
  };
}

const LOCATOR = "__gppLocator";

/**
 * The spec's locator for scripts in other frames: a hidden frame named "__gppLocator" tells them
 * which window holds the CMP, and they call it by postMessage: {__gppCall: {command, parameter,
 * version, callId}} (or the same as a JSON string) is answered to the caller's window with
 * {__gppReturn: {returnValue, success, callId}} (a string if the call was one), once per
 * callback (an event listener's callback answers again with every event). An IAB stub that has
 * already added the frame also answers the messages itself, through window.__gpp: then nothing
 * is added here.
 */
export function installGppLocator(win) {
  const doc = win.document;
  if (win.frames[LOCATOR]) return;
  const add = () => {
    const frame = doc.createElement("iframe");
    frame.name = LOCATOR;
    frame.title = "GPP locator";
    frame.hidden = true;
    frame.setAttribute("aria-hidden", "true");
    doc.body.append(frame);
  };
  if (doc.body) add();
  else doc.addEventListener("DOMContentLoaded", add);
  win.addEventListener("message", (event) => {
    let data = event.data;
    const json = typeof data === "string";
    try {
      if (json) data = JSON.parse(data);
    } catch {
      return;
    }
    const call = data?.__gppCall;
    if (!call || typeof call.command !== "string" || !event.source) return;
    win.__gpp(
      call.command,
      (returnValue, success) => {
        const answer = { __gppReturn: { returnValue, success, callId: call.callId } };
        event.source.postMessage(json ? JSON.stringify(answer) : answer, "*");
      },
      call.parameter,
      call.version,
    );
  });
}
