// The TCF chunk's encoder, choices and CMP API. Every string is decoded with IAB's own library
// (@iabtechlabtcf/core, through tcf-decode.js) and each field compared with what was chosen.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JSDOM } from "jsdom";

import { createCmpApi } from "../src/tcf/cmpapi.js";
import { encodeAC, encodeTC, runs } from "../src/tcf/encode.js";
import { allChoices, tcFields } from "../src/tcf/model.js";
import { installStub } from "../src/tcf/stub.js";
import { decodeTC } from "./tcf-decode.js";

// The embed's `tcf` configuration for the test GVL (tests/cookies/gvl/vendor-list.json).
const CFG = {
  cmp_id: 300,
  cmp_version: 2,
  gdpr_applies: true,
  gvl_version: 120,
  policy_version: 5,
  reask: 120,
  publisher_cc: "FR",
  publisher_purposes: [1, 7],
  restrictions: [{ purpose: 2, type: 1, vendors: [2, 755] }],
  ac_ids: [89, 1097],
  purpose_count: 11,
  vendors: {
    2: [[1, 3, 4], [2, 7, 10], [2, 7], []],
    8: [[1, 9], [8], [], []],
    28: [[1, 2, 3], [7], [], [1]],
    755: [[1, 3, 4, 9, 10], [2, 7, 8], [2, 7], []],
  },
};
const WHEN = Date.UTC(2026, 10, 28, 15, 30);
const opts = (extra) => Object.assign({ when: WHEN, screen: 1, language: "fr", custom: [true, false] }, extra);

test("accept all: every field decodes as chosen under IAB's library", () => {
  const s = encodeTC(tcFields(CFG, allChoices(CFG, true, CFG.ac_ids), opts()));
  const d = decodeTC(s);
  assert.equal(d.segments, 3);
  assert.equal(d.version, 2);
  assert.equal(d.created, "2026-11-28T00:00:00.000Z");
  assert.equal(d.lastUpdated, d.created);
  assert.deepEqual([d.cmpId, d.cmpVersion, d.consentScreen, d.consentLanguage], [300, 2, 1, "FR"]);
  assert.deepEqual([d.vendorListVersion, d.policyVersion, d.isServiceSpecific], [120, 5, true]);
  assert.deepEqual([d.useNonStandardTexts, d.purposeOneTreatment, d.publisherCountryCode], [false, false, "FR"]);
  assert.deepEqual(d.purposeConsents, [1, 2, 3, 4, 7, 9, 10]);
  assert.deepEqual(d.purposeLegitimateInterests, [2, 7, 8, 10]);
  assert.deepEqual(d.specialFeatureOptins, [1]);
  assert.deepEqual(d.vendorConsents, [2, 8, 28, 755]);
  assert.deepEqual(d.vendorLegitimateInterests, [2, 8, 28, 755]);
  assert.deepEqual(d.vendorsDisclosed, [2, 8, 28, 755]);
  assert.deepEqual(d.publisherRestrictions, [{ purpose: 2, type: 1, vendors: [2, 755] }]);
  assert.deepEqual(d.publisherConsents, [1, 7]);
  assert.deepEqual([d.numCustomPurposes, d.publisherCustomConsents], [2, [1]]);
});

test("reject all: no consent, every legitimate interest objected, vendors still disclosed", () => {
  const d = decodeTC(encodeTC(tcFields(CFG, allChoices(CFG, false, []), opts({ custom: [false, false] }))));
  assert.deepEqual(d.purposeConsents, []);
  assert.deepEqual(d.purposeLegitimateInterests, []);
  assert.deepEqual(d.vendorConsents, []);
  assert.deepEqual(d.vendorLegitimateInterests, []);
  assert.deepEqual(d.specialFeatureOptins, []);
  assert.deepEqual(d.vendorsDisclosed, [2, 8, 28, 755]);
  assert.deepEqual(d.publisherConsents, []);
  assert.deepEqual(d.publisherCustomConsents, []);
});

test("custom: per vendor and per purpose, objections to legitimate interest respected", () => {
  const choices = {
    purposeConsents: new Set([1, 9]),
    purposeObjections: new Set([8]),
    vendorConsents: new Set([8]),
    vendorObjections: new Set([755]),
    specialFeatures: new Set(),
    ac: new Set(),
  };
  const d = decodeTC(encodeTC(tcFields(CFG, choices, opts({ screen: 2, language: "en" }))));
  assert.deepEqual(d.purposeConsents, [1, 9]);
  assert.deepEqual(d.purposeLegitimateInterests, [2, 7, 10]);
  assert.deepEqual(d.vendorConsents, [8]);
  assert.deepEqual(d.vendorLegitimateInterests, [2, 8, 28]);
  assert.deepEqual([d.consentScreen, d.consentLanguage], [2, "EN"]);
});

test("legitimate interest is never signalled for purposes 1 and 3-6", () => {
  const cfg = Object.assign({}, CFG, { vendors: { 5: [[], [1, 3, 4, 5, 6, 7], [], []] } });
  const d = decodeTC(encodeTC(tcFields(cfg, allChoices(cfg, true, []), opts())));
  assert.deepEqual(d.purposeLegitimateInterests, [7]);
});

test("ranges are used when shorter than a bit field, and decode the same", () => {
  assert.deepEqual(runs(new Set([5, 1, 2, 3, 9])), [[1, 3], [5, 5], [9, 9]]);
  const vendors = { 1: [[1], [], [], []], 2: [[1], [], [], []], 3: [[1], [], [], []], 3000: [[1], [], [], []] };
  const cfg = Object.assign({}, CFG, { vendors, restrictions: [], publisher_purposes: [] });
  const s = encodeTC(tcFields(cfg, allChoices(cfg, true, []), opts({ custom: [] })));
  assert.ok(s.split(".")[0].length < 100, "range encoding keeps a sparse list short");
  const d = decodeTC(s);
  assert.deepEqual(d.vendorConsents, [1, 2, 3, 3000]);
  assert.deepEqual(d.vendorsDisclosed, [1, 2, 3, 3000]);
  assert.equal(d.segments, 2); // no publisher purposes: no PublisherTC segment
});

test("without publisher purposes and custom purposes there is no PublisherTC segment", () => {
  const cfg = Object.assign({}, CFG, { publisher_purposes: [] });
  assert.equal(encodeTC(tcFields(cfg, allChoices(cfg, true, []), opts({ custom: [] }))).split(".").length, 2);
});

test("the Additional Consent string lists consented and disclosed-only providers", () => {
  assert.equal(encodeAC([1097, 89], new Set([89, 1097])), "2~89.1097~dv.");
  assert.equal(encodeAC([1097, 89], new Set()), "2~~dv.89.1097");
});

function page() {
  const dom = new JSDOM("<!doctype html><body></body>", { url: "https://news.example/" });
  return dom.window;
}

test("the stub queues calls, answers ping, and the CMP runs the queue when installed", () => {
  const win = page();
  installStub(win);
  assert.ok(win.document.querySelector("iframe[name=__tcfapiLocator]"));
  let pinged;
  win.__tcfapi("ping", 2, (r) => (pinged = r));
  assert.deepEqual([pinged.cmpStatus, pinged.cmpLoaded], ["stub", false]);
  const seen = [];
  win.__tcfapi("addEventListener", 2, (data, ok) => seen.push([data.eventStatus, ok, data.listenerId]));
  assert.equal(win.__tcfapi().length, 1);
  const cmp = createCmpApi(win, CFG);
  cmp.install();
  assert.deepEqual(seen, []); // nothing to report yet
  cmp.shown();
  const fields = tcFields(CFG, allChoices(CFG, true, CFG.ac_ids), opts());
  cmp.update({ fields, tcString: encodeTC(fields), addtlConsent: "2~89.1097~dv." }, "useractioncomplete");
  assert.deepEqual(seen, [["cmpuishown", true, 1], ["useractioncomplete", true, 1]]);
  let data;
  win.__tcfapi("getTCData", 2, (d) => (data = d), [755, 9999]);
  assert.equal(data.gdprApplies, true);
  assert.equal(data.cmpId, 300);
  assert.equal(data.addtlConsent, "2~89.1097~dv.");
  assert.deepEqual(data.vendor.consents, { 755: true, 9999: false });
  assert.equal(data.purpose.consents[1], true);
  assert.deepEqual(data.publisher.restrictions, { 2: { 2: 1, 755: 1 } });
  assert.equal(decodeTC(data.tcString).cmpId, 300);
  let removed;
  win.__tcfapi("removeEventListener", 2, (ok) => (removed = ok), 1);
  assert.equal(removed, true);
  cmp.update(null, "tcloaded");
  assert.equal(seen.length, 2);
  let failed;
  win.__tcfapi("noSuchCommand", 2, (r, ok) => (failed = ok));
  assert.equal(failed, false);
});

test("where the GDPR does not apply, TCData says so and carries no string", () => {
  const win = page();
  const cmp = createCmpApi(win, Object.assign({}, CFG, { gdpr_applies: false }));
  cmp.install();
  cmp.update(null, "tcloaded");
  let data, ping;
  win.__tcfapi("getTCData", 2, (d) => (data = d));
  win.__tcfapi("ping", 2, (p) => (ping = p));
  assert.deepEqual([data.gdprApplies, data.tcString, data.eventStatus], [false, "", "tcloaded"]);
  assert.equal(data.purpose, undefined);
  assert.equal(ping.displayStatus, "disabled");
});
