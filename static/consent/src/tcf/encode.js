// TC strings (IAB TCF v2.3, "Consent string and vendor list formats v2"): a bit writer, the
// base64url alphabet, and the Core, DisclosedVendors and PublisherTC segments. Written here
// (not taken from IAB's library) so that the chunk stays small; tests decode every string with
// IAB's own library (@iabtechlabtcf/core) and compare each field.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const DISCLOSED_VENDORS = 1;
const PUBLISHER_TC = 3;

/** Appends fixed-width unsigned fields; `toString()` gives base64url (no padding). */
export class Bits {
  constructor() {
    this.bits = [];
  }
  int(value, width) {
    if (value < 0 || value >= 2 ** width) throw new RangeError(value + " does not fit in " + width + " bits");
    for (let i = width - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  bool(value) {
    this.bits.push(value ? 1 : 0);
    return this;
  }
  /** `width` bits, bit i-1 set for each id i in `ids` (purposes, special features). */
  set(ids, width) {
    for (let i = 1; i <= width; i++) this.bool(ids.has(i));
    return this;
  }
  /** Two letters (A-Z) as 6 bits each: languages and countries. */
  letters(code) {
    const s = code.toUpperCase();
    return this.int(s.charCodeAt(0) - 65, 6).int(s.charCodeAt(1) - 65, 6);
  }
  toString() {
    const b = this.bits.slice();
    while (b.length % 8) b.push(0); // whole bytes, then whole 6-bit characters
    while (b.length % 6) b.push(0);
    let out = "";
    for (let i = 0; i < b.length; i += 6) out += ALPHABET[parseInt(b.slice(i, i + 6).join(""), 2)];
    return out;
  }
}

/** Sorted ids as [start, end] runs. */
export function runs(ids) {
  const out = [];
  [...ids].sort((a, b) => a - b).forEach((id) => {
    const last = out[out.length - 1];
    if (last && id === last[1] + 1) last[1] = id;
    else out.push([id, id]);
  });
  return out;
}

function rangeEntries(bits, ids) {
  const r = runs(ids);
  bits.int(r.length, 12);
  r.forEach(([a, b]) => {
    bits.bool(a !== b).int(a, 16);
    if (a !== b) bits.int(b, 16);
  });
}

/** MaxVendorId, IsRangeEncoding, then a bit field or ranges: whichever is shorter. */
export function vendorSection(bits, ids) {
  const set = new Set(ids), max = set.size ? Math.max(...set) : 0;
  const rangeBits = 12 + runs(set).reduce((n, [a, b]) => n + (a === b ? 17 : 33), 0);
  bits.int(max, 16);
  if (rangeBits < max) {
    bits.bool(1);
    rangeEntries(bits, set);
  } else {
    bits.bool(0);
    for (let i = 1; i <= max; i++) bits.bool(set.has(i));
  }
}

const day = (ms) => Math.floor(ms / 864e5) * 864e3; // deciseconds at UTC midnight

/**
 * The TC string of `tc`:
 * {lastUpdated (ms), cmpId, cmpVersion, consentScreen, language, vendorListVersion,
 *  policyVersion, publisherCC, specialFeatures, purposeConsents, purposeLI, vendorConsents,
 *  vendorLI (Sets of ids), restrictions [{purpose, type, vendors}], disclosedVendors (Set),
 *  publisher: null or {consents, li (Sets of purpose ids), custom: [{consent, li}]}}.
 * Created and LastUpdated are the same day (TCF-3); IsServiceSpecific is 1 (TCF-4).
 */
export function encodeTC(tc) {
  const when = day(tc.lastUpdated);
  const core = new Bits()
    .int(2, 6)
    .int(when, 36)
    .int(when, 36)
    .int(tc.cmpId, 12)
    .int(tc.cmpVersion, 12)
    .int(tc.consentScreen, 6)
    .letters(tc.language)
    .int(tc.vendorListVersion, 12)
    .int(tc.policyVersion, 6)
    .bool(1)
    .bool(0)
    .set(tc.specialFeatures, 12)
    .set(tc.purposeConsents, 24)
    .set(tc.purposeLI, 24)
    .bool(0)
    .letters(tc.publisherCC);
  vendorSection(core, tc.vendorConsents);
  vendorSection(core, tc.vendorLI);
  core.int(tc.restrictions.length, 12);
  tc.restrictions.forEach((r) => {
    core.int(r.purpose, 6).int(r.type, 2);
    rangeEntries(core, new Set(r.vendors));
  });
  const disclosed = new Bits().int(DISCLOSED_VENDORS, 3);
  vendorSection(disclosed, tc.disclosedVendors);
  const parts = [core, disclosed];
  if (tc.publisher) {
    const p = tc.publisher, n = p.custom.length;
    const pub = new Bits().int(PUBLISHER_TC, 3).set(p.consents, 24).set(p.li, 24).int(n, 6);
    p.custom.forEach((c) => pub.bool(c.consent));
    p.custom.forEach((c) => pub.bool(c.li));
    parts.push(pub);
  }
  return parts.map(String).join(".");
}

/** Google's Additional Consent string (v2): `2~consented~dv.disclosed, not consented`. */
export function encodeAC(ids, consented) {
  const sorted = [...ids].sort((a, b) => a - b);
  const yes = sorted.filter((id) => consented.has(id)), no = sorted.filter((id) => !consented.has(id));
  return "2~" + yes.join(".") + "~dv." + no.join(".");
}
