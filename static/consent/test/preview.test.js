import assert from "node:assert/strict";
import { test } from "node:test";
import { decider, givenDetails, sender } from "../src/preview.js";

test("a preview sends nothing and stores no choice", async () => {
  const sent = [];
  const post = (path, body) => (sent.push([path, body]), Promise.resolve({ ok: true }));
  const decide = () => "recorded";
  const again = () => "shown again";
  const quiet = sender({ preview: true }, post);
  assert.notEqual(quiet, post);
  assert.deepEqual(await quiet("decisions", { id: "x" }), { ok: true });
  assert.deepEqual(sent, []);
  assert.equal(decider({ preview: true }, decide, again)(), "shown again");
  assert.deepEqual(await givenDetails({ preview: true, details: { language: "fr" } }), { language: "fr" });
});

test("a published configuration posts and records as before", () => {
  const post = () => 0, decide = () => 0, again = () => 1;
  assert.equal(sender({ site: "s" }, post), post);
  assert.equal(decider({ site: "s" }, decide, again), decide);
  assert.equal(givenDetails({ site: "s", details: { language: "en" } }), undefined);
});
