// GPP: the strings the banner writes are decoded with IAB's own library (@iabgpp/cmpapi) and
// every field checked against the choice; the __gpp API answers as the CMP API 1.1 says.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GppModel } from "@iabgpp/cmpapi";

import { encode, fibonacci, fieldValues, installGpp, SECTIONS, sectionIds } from "../src/gpp.js";

const STATES = { "US-CA": "usca", "US-VA": "usva", "US-CO": "usco", "US-UT": "usut", "US-CT": "usct" };
const CHOICE_FIELDS = ["SaleOptOut", "SharingOptOut", "TargetedAdvertisingOptOut"];

test("fibonacci codes match the spec's table", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 12].map(fibonacci), ["11", "011", "0011", "1011", "00011", "10011", "01011", "000011", "101011"]);
});

test("section ids: usnat everywhere in the US, plus the state's own section; none elsewhere", () => {
  assert.deepEqual(sectionIds("US-CA"), [7, 8]);
  assert.deepEqual(sectionIds("US-CT"), [7, 12]);
  assert.deepEqual(sectionIds("US-TX"), [7]);
  assert.deepEqual(sectionIds("US"), [7]);
  assert.deepEqual(sectionIds("FR"), []);
  assert.deepEqual(sectionIds(""), []);
});

for (const [place, state] of Object.entries({ ...STATES, "US-TX": null })) {
  for (const optedOut of [true, false]) {
    for (const gpc of [true, false]) {
      test(`${place} opted out=${optedOut} gpc=${gpc}: IAB's decoder reads back every field`, () => {
        const ids = sectionIds(place);
        const gppString = encode(ids, fieldValues({ optedOut, gpc }));
        const model = new GppModel(gppString);
        assert.deepEqual(model.getSectionIds(), ids);
        assert.equal(model.encode(), gppString, "IAB's encoder writes the same string");
        const expected = optedOut ? 1 : 2;
        for (const field of CHOICE_FIELDS) assert.equal(model.getFieldValue("usnat", field), expected, field);
        assert.equal(model.getFieldValue("usnat", "Gpc"), gpc);
        assert.equal(model.getFieldValue("usnat", "SaleOptOutNotice"), 1);
        assert.equal(model.getFieldValue("usnat", "SharingOptOutNotice"), 1);
        assert.equal(model.getFieldValue("usnat", "MspaCoveredTransaction"), 2);
        assert.deepEqual(model.getFieldValue("usnat", "SensitiveDataProcessing"), Array(16).fill(0));
        if (!state) return;
        const [, , , fields, hasGpc] = SECTIONS.find((s) => s[1] === state);
        assert.equal(model.getFieldValue(state, "SaleOptOut"), expected);
        const names = fields.map((f) => (Array.isArray(f) ? f[0] : f));
        if (names.includes("SharingOptOut")) assert.equal(model.getFieldValue(state, "SharingOptOut"), expected);
        if (names.includes("TargetedAdvertisingOptOut")) {
          assert.equal(model.getFieldValue(state, "TargetedAdvertisingOptOut"), expected);
        }
        if (hasGpc) assert.equal(model.getFieldValue(state, "Gpc"), gpc);
      });
    }
  }
}

function fakeWindow(queued) {
  const win = {};
  if (queued) win.__gpp = (...args) => (args.length ? queued.push(args) : queued);
  return win;
}

test("__gpp answers calls queued by the stub, then ping, getSection, getField, hasSection", () => {
  const answers = [];
  const win = fakeWindow([["ping", (data, ok) => answers.push([data, ok])]]);
  let optedOut = false;
  const current = () => ({ ids: [7, 8], values: fieldValues({ optedOut, gpc: false }) });
  installGpp(win, { current, displayed: () => false });
  assert.equal(answers.length, 1);
  const [ping, ok] = answers[0];
  assert.equal(ok, true);
  assert.equal(ping.gppVersion, "1.1");
  assert.equal(ping.cmpStatus, "loaded");
  assert.equal(ping.signalStatus, "ready");
  assert.deepEqual(ping.sectionList, [7, 8]);
  assert.deepEqual(ping.applicableSections, [8]);
  assert.equal(new GppModel(ping.gppString).getFieldValue("usca", "SaleOptOut"), 2);

  const got = {};
  win.__gpp("hasSection", (v) => (got.has = v), "usca");
  win.__gpp("hasSection", (v) => (got.hasVa = v), "usva");
  win.__gpp("getField", (v) => (got.field = v), "usnat.SaleOptOut");
  win.__gpp("getField", (v) => (got.missing = v), "usnat.NoSuchField");
  win.__gpp("getSection", (v) => (got.section = v), "usca");
  win.__gpp("nonsense", (v, success) => (got.unknown = [v, success]));
  assert.equal(got.has, true);
  assert.equal(got.hasVa, false);
  assert.equal(got.field, 2);
  assert.equal(got.missing, null);
  assert.equal(got.section.SharingOptOut, 2);
  assert.deepEqual(got.unknown, [null, false]);
});

test("listeners hear of a change with the new string, and can be removed", () => {
  const win = fakeWindow();
  let optedOut = false;
  const current = () => ({ ids: [7], values: fieldValues({ optedOut, gpc: false }) });
  const changed = installGpp(win, { current, displayed: () => true });
  const events = [];
  let id;
  win.__gpp("addEventListener", (event) => {
    events.push(event);
    id = event.listenerId;
  });
  assert.equal(events[0].eventName, "listenerRegistered");
  assert.equal(events[0].pingData.cmpDisplayStatus, "visible");
  optedOut = true;
  changed();
  const change = events.find((e) => e.eventName === "sectionChange");
  assert.equal(change.data, "usnat");
  assert.equal(new GppModel(change.pingData.gppString).getFieldValue("usnat", "SaleOptOut"), 1);
  let removed;
  win.__gpp("removeEventListener", (v) => (removed = v), id);
  assert.equal(removed, true);
  const before = events.length;
  changed();
  assert.equal(events.length, before);
});

test("outside the US no section applies", () => {
  const win = fakeWindow();
  installGpp(win, { current: () => ({ ids: [], values: fieldValues({}) }), displayed: () => false });
  let ping;
  win.__gpp("ping", (v) => (ping = v));
  assert.deepEqual(ping.applicableSections, [-1]);
  assert.equal(ping.gppString, "");
});
