// Withdrawal clean-up: declared cookies (exact and * patterns, every parent domain) and storage.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JSDOM } from "jsdom";

import { clearPurposes, domainsOf, pattern } from "../src/cleanup.js";
import { undeclared } from "../src/drift.js";

function page() {
  const dom = new JSDOM("<!doctype html><p>host</p>", { url: "https://www.shop.example/path" });
  const w = dom.window;
  return {
    w,
    env: { document: w.document, location: w.location, localStorage: w.localStorage, sessionStorage: w.sessionStorage },
    names: () => w.document.cookie.split(/; */).filter(Boolean).map((c) => c.split("=")[0]).sort(),
  };
}

test("patterns match whole names, * anything, other characters literally", () => {
  assert.ok(pattern("_ga_*").test("_ga_ABC123"));
  assert.ok(!pattern("_ga_*").test("x_ga_1"));
  assert.ok(pattern("a.b").test("a.b") && !pattern("a.b").test("axb"));
  assert.ok(!pattern("sid").test("sid2"));
});

test("the page's host and each parent domain are tried", () => {
  assert.deepEqual(domainsOf("www.shop.example"), ["", "; domain=www.shop.example", "; domain=shop.example"]);
});

test("refused purposes lose their cookies, wherever they were set; others keep theirs", () => {
  const { w, env, names } = page();
  w.document.cookie = "_ga=1; path=/";
  w.document.cookie = "_ga_X1=2; path=/; domain=shop.example";
  w.document.cookie = "_ads=3; path=/";
  w.document.cookie = "sessionid=4; path=/";
  const declared = [
    { name: "_ga", purpose: "analytics" },
    { name: "_ga_*", purpose: "analytics", domain: "shop.example" },
    { name: "_ads", purpose: "advertising" },
    { name: "sessionid", purpose: "essential" },
  ];
  clearPurposes(["analytics"], declared, env);
  assert.deepEqual(names(), ["_ads", "sessionid"]);
});

test("declared localStorage and sessionStorage items are removed", () => {
  const { w, env } = page();
  w.localStorage.setItem("perf_1", "x");
  w.localStorage.setItem("keep", "x");
  w.sessionStorage.setItem("sess_a", "x");
  clearPurposes(
    ["analytics"],
    [
      { name: "perf_*", purpose: "analytics", storage: "local_storage" },
      { name: "sess_a", purpose: "analytics", storage: "session_storage" },
      { name: "keep", purpose: "advertising", storage: "local_storage" },
    ],
    env,
  );
  assert.deepEqual(Object.keys(w.localStorage), ["keep"]);
  assert.equal(w.sessionStorage.length, 0);
});

test("blocked storage does not stop the clean-up", () => {
  const { w, env, names } = page();
  w.document.cookie = "_ga=1; path=/";
  const blocked = {
    ...env,
    get localStorage() {
      throw new Error("SecurityError");
    },
  };
  clearPurposes(
    ["analytics"],
    [
      { name: "x", purpose: "analytics", storage: "local_storage" },
      { name: "_ga", purpose: "analytics" },
    ],
    blocked,
  );
  assert.deepEqual(names(), []);
});

test("drift: undeclared names only, own cookie excluded, at most 50, no duplicates", () => {
  const names = ["_ga_1", "consent_shop", "new", "new", ...Array.from({ length: 60 }, (_, i) => "z" + i)];
  const found = undeclared(names, [{ name: "_ga_*" }], "consent_shop");
  assert.equal(found[0], "new");
  assert.equal(found.length, 50);
  assert.ok(!found.includes("_ga_1") && !found.includes("consent_shop"));
});
