// Gating: nothing runs before every named purpose is granted; then in document order, once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JSDOM } from "jsdom";

import { consentModeState } from "../src/consentmode.js";
import { matchLanguage } from "../src/details.js";
import { allowed, createGate } from "../src/gating.js";
import { gpcRefusals } from "../src/gpc.js";

const HTML = `<!doctype html><body>
<script type="text/plain" data-consent="analytics">window.ran.push("a")</script>
<script type="text/plain" data-consent="analytics advertising">window.ran.push("both")</script>
<script type="text/plain" data-consent="analytics" data-type="module" nonce="n1" data-x="1">window.ran.push("m")</script>
<iframe data-consent="advertising" data-src="about:blank#ad"></iframe>
<img data-consent="analytics" data-src="https://px.example/p.gif" src="/blank.gif" alt="">
</body>`;

function setup(granted) {
  const dom = new JSDOM(HTML, { runScripts: "dangerously", url: "https://host.example/" });
  dom.window.ran = [];
  const get = (k) => (k in granted ? granted[k] : undefined);
  return { dom, doc: dom.window.document, gate: createGate(dom.window.document, get) };
}

test("allowed needs every named purpose to be true", () => {
  const { doc } = setup({});
  const both = doc.querySelectorAll("script")[1];
  assert.equal(allowed(both, (k) => k === "analytics"), false);
  assert.equal(allowed(both, () => true), true);
  assert.equal(allowed(both, () => undefined), false);
});

test("nothing runs while undecided", async () => {
  const { dom, doc, gate } = setup({});
  await gate.activate();
  assert.deepEqual(dom.window.ran, []);
  assert.equal(doc.querySelector("iframe").getAttribute("src"), null);
  assert.equal(doc.querySelector("img").getAttribute("src"), "/blank.gif");
});

test("granted content runs once, in document order, keeping attributes and nonce", async () => {
  const granted = { analytics: true };
  const { dom, doc, gate } = setup(granted);
  await gate.activate();
  assert.deepEqual(dom.window.ran, ["a"]); // the module script keeps type=module (jsdom does not run modules)
  const module = doc.querySelector('script[data-x="1"]');
  assert.equal(module.type, "module");
  assert.equal(module.nonce, "n1");
  assert.equal(doc.querySelector("img").getAttribute("src"), "https://px.example/p.gif");
  assert.equal(doc.querySelector("iframe").getAttribute("src"), null);
  granted.advertising = true;
  await gate.activate();
  await gate.activate();
  assert.deepEqual(dom.window.ran, ["a", "both"]);
  assert.equal(doc.querySelector("iframe").getAttribute("src"), "about:blank#ad");
});

test("elements added later are picked up when allowed", async () => {
  const { dom, doc, gate } = setup({ analytics: true });
  gate.observe(dom.window.MutationObserver);
  await gate.activate();
  const late = doc.createElement("div");
  late.innerHTML = '<script type="text/plain" data-consent="analytics">window.ran.push("late")</script>';
  doc.body.append(late);
  await new Promise((done) => setTimeout(done, 0)); // mutation records are delivered as a microtask
  await gate.activate();
  assert.deepEqual(dom.window.ran, ["a", "late"]);
});

test("Consent Mode: denied by default, essential types granted, stored grants applied", () => {
  const byKey = { essential: { essential: true }, analytics: {}, advertising: {} };
  const mapping = { essential: ["security_storage"], analytics: ["analytics_storage"], advertising: ["ad_storage"] };
  const get = (k) => ({ analytics: true, advertising: false })[k];
  const before = consentModeState(mapping, byKey, get, false);
  assert.equal(before.analytics_storage, "denied");
  assert.equal(before.security_storage, "granted");
  assert.equal(before.ad_user_data, "denied");
  const after = consentModeState(mapping, byKey, get, true);
  assert.equal(after.analytics_storage, "granted");
  assert.equal(after.ad_storage, "denied");
});

test("GPC refuses only sensitive optional purposes not already refused", () => {
  const optional = [{ key: "ads", gpc_sensitive: true }, { key: "stats" }, { key: "share", gpc_sensitive: true }];
  assert.deepEqual(gpcRefusals(false, optional, null), []);
  assert.deepEqual(gpcRefusals(true, optional, null).map((p) => p.key), ["ads", "share"]);
  assert.deepEqual(gpcRefusals(true, optional, { d: { ads: 0, share: 1 } }).map((p) => p.key), ["share"]);
});

test("the page language is matched to the site's languages", () => {
  assert.equal(matchLanguage("fr-CA", ["en", "fr"]), "fr");
  assert.equal(matchLanguage("EN", ["en", "fr"]), "en");
  assert.equal(matchLanguage("de", ["en", "fr"]), "");
  assert.equal(matchLanguage("", ["en"]), "");
});
