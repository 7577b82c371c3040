// GPP: the strings the banner writes are decoded with IAB's own library (@iabgpp/cmpapi) and
// every field checked against the choice; the __gpp API answers as the CMP API 1.1 says.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as iab from "@iabgpp/cmpapi";
import { JSDOM } from "jsdom";

import { encode, fibonacci, fieldValues, installGpp, installGppLocator, SECTIONS, sectionIds } from "../src/gpp.js";

const STATES = {
  "US-CA": "usca", "US-VA": "usva", "US-CO": "usco", "US-UT": "usut", "US-CT": "usct", "US-FL": "usfl",
  "US-MT": "usmt", "US-OR": "usor", "US-TX": "ustx", "US-DE": "usde", "US-IA": "usia", "US-NE": "usne",
  "US-NH": "usnh", "US-NJ": "usnj", "US-TN": "ustn", "US-MN": "usmn", "US-MD": "usmd", "US-IN": "usin",
  "US-KY": "usky", "US-RI": "usri",
};
const CHOICE_FIELDS = ["SaleOptOut", "SharingOptOut", "TargetedAdvertisingOptOut"];
const GIVEN = ["SharingNotice", "ProcessingNotice", "SaleOptOutNotice", "SharingOptOutNotice", "TargetedAdvertisingOptOutNotice"];
// IAB's section classes (UsNat, UsCa, ...), by name.
const IAB_SECTIONS = Object.fromEntries(Object.values(iab).filter((c) => c && c.NAME && c.ID).map((c) => [c.NAME, c]));
const fieldName = (f) => (Array.isArray(f) ? f[0] : f);

/** What every field of a section must hold for the choice: the version, given notices, the choice. */
function expectedValue(field, i, version, { optedOut }) {
  if (i === 0) return version;
  if (CHOICE_FIELDS.includes(field)) return optedOut ? 1 : 2;
  if (GIVEN.includes(field)) return 1;
  return field === "MspaCoveredTransaction" ? 2 : 0;
}

test("the table has every US section IAB's library has, each with its id, version, fields and GPC subsection", () => {
  const iabNames = Object.keys(IAB_SECTIONS).filter((n) => /^us[a-z]{2,3}$/.test(n));
  assert.deepEqual(SECTIONS.map((s) => s[1]).sort(), iabNames.sort());
  for (const [id, name, version, fields, gpc] of SECTIONS) {
    const section = new IAB_SECTIONS[name]();
    assert.equal(IAB_SECTIONS[name].ID, id, name);
    assert.equal(IAB_SECTIONS[name].VERSION, version, name);
    const [core, second] = section.initializeSegments();
    assert.deepEqual(fields.map(fieldName), core.getFieldNames(), `${name} core fields in the spec's order`);
    const defaults = core.initializeFields();
    fields.forEach((f) => {
      const count = Array.isArray(f) ? f[1] : 0;
      const value = defaults.get(fieldName(f)).getValue();
      assert.equal(Array.isArray(value) ? value.length : 0, count, `${name}.${fieldName(f)} length`);
    });
    assert.equal(!!second && second.getFieldNames().includes("Gpc"), gpc, `${name} GPC subsection`);
  }
});

test("fibonacci codes match the spec's table", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 12].map(fibonacci), ["11", "011", "0011", "1011", "00011", "10011", "01011", "000011", "101011"]);
});

test("section ids: usnat everywhere in the US, plus the state's own section; none elsewhere", () => {
  assert.deepEqual(sectionIds("US-CA"), [7, 8]);
  assert.deepEqual(sectionIds("US-CT"), [7, 12]);
  for (const [place, name] of Object.entries(STATES)) assert.deepEqual(sectionIds(place), [7, IAB_SECTIONS[name].ID], place);
  assert.deepEqual(sectionIds("US-NY"), [7]);
  assert.deepEqual(sectionIds("US-PA"), [7]);
  assert.deepEqual(sectionIds("US"), [7]);
  assert.deepEqual(sectionIds("FR"), []);
  assert.deepEqual(sectionIds(""), []);
});

for (const [place, state] of Object.entries({ ...STATES, "US-NY": null })) {
  for (const optedOut of [true, false]) {
    for (const gpc of [true, false]) {
      test(`${place} opted out=${optedOut} gpc=${gpc}: IAB's decoder reads back every field`, () => {
        const ids = sectionIds(place);
        const gppString = encode(ids, fieldValues({ optedOut, gpc }));
        const model = new iab.GppModel(gppString);
        assert.deepEqual(model.getSectionIds(), ids);
        assert.equal(model.encode(), gppString, "IAB's encoder writes the same string");
        for (const name of state ? ["usnat", state] : ["usnat"]) {
          const [, , version, fields, hasGpc] = SECTIONS.find((s) => s[1] === name);
          fields.forEach((f, i) => {
            const field = fieldName(f);
            const want = expectedValue(field, i, version, { optedOut });
            const got = model.getFieldValue(name, field);
            assert.deepEqual(got, Array.isArray(f) ? Array(f[1]).fill(want) : want, `${name}.${field}`);
          });
          if (hasGpc) assert.equal(model.getFieldValue(name, "Gpc"), gpc, `${name}.Gpc`);
          assert.equal(gppString.split("~")[ids.indexOf(IAB_SECTIONS[name].ID) + 1].includes("."), hasGpc);
        }
        // the choice reached each section: the fields a reader looks at
        for (const name of state ? ["usnat", state] : ["usnat"]) assert.equal(model.getFieldValue(name, "SaleOptOut"), optedOut ? 1 : 2);
        const win = {};
        installGpp(win, { current: () => ({ ids, values: fieldValues({ optedOut, gpc }) }), displayed: () => false });
        let ping;
        win.__gpp("ping", (data) => (ping = data));
        assert.deepEqual(ping.applicableSections, [state ? IAB_SECTIONS[state].ID : 7]);
        assert.equal(ping.gppString, gppString);
        let has;
        win.__gpp("hasSection", (v) => (has = v), state || "ustx");
        assert.equal(has, !!state);
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
  assert.equal(new iab.GppModel(ping.gppString).getFieldValue("usca", "SaleOptOut"), 2);

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
  assert.equal(new iab.GppModel(change.pingData.gppString).getFieldValue("usnat", "SaleOptOut"), 1);
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

test("frames find the CMP by the __gppLocator frame and call __gpp by postMessage", () => {
  const win = new JSDOM("<!doctype html><body><iframe name=ad></iframe></body>", { url: "https://news.example/" }).window;
  installGpp(win, { current: () => ({ ids: [7, 8], values: fieldValues({ optedOut: true, gpc: true }) }), displayed: () => false });
  installGppLocator(win);
  const frame = win.document.querySelector("iframe[name=__gppLocator]");
  assert.ok(frame && frame.hidden);
  assert.equal(win.frames.__gppLocator, frame.contentWindow);
  // The calling frame: its answers are what the page posts back to it.
  const ad = win.frames.ad, answers = [];
  ad.postMessage = (message, origin) => answers.push([message, origin]);
  const call = (data) => win.dispatchEvent(new win.MessageEvent("message", { data, source: ad }));
  call({ __gppCall: { command: "ping", version: "1.1", callId: 1 } });
  call({ __gppCall: { command: "hasSection", parameter: "usca", version: "1.1", callId: "two" } });
  call(JSON.stringify({ __gppCall: { command: "getField", parameter: "usca.Gpc", version: "1.1", callId: 3 } }));
  call({ __gppCall: { command: "nonsense", callId: 4 } });
  call({ __tcfapiCall: { command: "ping", callId: 5 } }); // not for GPP: no answer
  call("not json");
  assert.equal(answers.length, 4);
  const [ping, has, field, unknown] = answers.map(([m]) => (typeof m === "string" ? JSON.parse(m) : m).__gppReturn);
  assert.deepEqual([ping.callId, ping.success, ping.returnValue.gppVersion], [1, true, "1.1"]);
  assert.equal(new iab.GppModel(ping.returnValue.gppString).getFieldValue("usca", "SaleOptOut"), 1);
  assert.deepEqual(has, { returnValue: true, success: true, callId: "two" });
  assert.equal(typeof answers[2][0], "string"); // a JSON call is answered in JSON
  assert.deepEqual(field, { returnValue: true, success: true, callId: 3 });
  assert.deepEqual(unknown, { returnValue: null, success: false, callId: 4 });
  assert.ok(answers.every(([, origin]) => origin === "*"));
  // A second install (or an IAB stub's frame already there) adds no second frame nor listener.
  installGppLocator(win);
  assert.equal(win.document.querySelectorAll("iframe[name=__gppLocator]").length, 1);
  call({ __gppCall: { command: "ping", callId: 6 } });
  assert.equal(answers.length, 5);
});
