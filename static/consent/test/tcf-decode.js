// Decodes TC strings with IAB's own library (@iabtechlabtcf/core), the reference the chunk's
// encoder is tested against. As a script: `node tcf-decode.js STRING...` prints one JSON object
// per string (the browser tests decode what Chromium produced this way).
import { TCString } from "@iabtechlabtcf/core";
import { argv } from "node:process";
import { fileURLToPath } from "node:url";

const ids = (vector) => {
  const out = [];
  vector.forEach((value, id) => value && out.push(id));
  return out;
};

/** The decoded fields as plain JSON (sets as sorted id lists). */
export function decodeTC(tcString) {
  const m = TCString.decode(tcString);
  const restrictions = m.publisherRestrictions.getRestrictions().map((r) => ({
    purpose: r.purposeId,
    type: r.restrictionType,
    vendors: m.publisherRestrictions.getVendors(r),
  }));
  return {
    version: m.version,
    created: m.created.toISOString(),
    lastUpdated: m.lastUpdated.toISOString(),
    cmpId: m.cmpId,
    cmpVersion: m.cmpVersion,
    consentScreen: m.consentScreen,
    consentLanguage: m.consentLanguage,
    vendorListVersion: m.vendorListVersion,
    policyVersion: m.policyVersion,
    isServiceSpecific: m.isServiceSpecific,
    useNonStandardTexts: m.useNonStandardTexts,
    purposeOneTreatment: m.purposeOneTreatment,
    publisherCountryCode: m.publisherCountryCode,
    specialFeatureOptins: ids(m.specialFeatureOptins),
    purposeConsents: ids(m.purposeConsents),
    purposeLegitimateInterests: ids(m.purposeLegitimateInterests),
    vendorConsents: ids(m.vendorConsents),
    vendorLegitimateInterests: ids(m.vendorLegitimateInterests),
    vendorsDisclosed: ids(m.vendorsDisclosed),
    publisherRestrictions: restrictions,
    publisherConsents: ids(m.publisherConsents),
    publisherLegitimateInterests: ids(m.publisherLegitimateInterests),
    numCustomPurposes: m.numCustomPurposes,
    publisherCustomConsents: ids(m.publisherCustomConsents),
    segments: tcString.split(".").length,
  };
}

if (argv[1] === fileURLToPath(import.meta.url)) {
  argv.slice(2).forEach((s) => console.log(JSON.stringify(decodeTC(s))));
}
