// The decision queue: kept until acknowledged, retried with back-off, dropped on client errors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { backoff, createQueue, retryable } from "../src/queue.js";

function memoryStorage() {
  const data = new Map();
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    data,
  };
}

function fakeTimers() {
  const pending = [];
  return {
    pending,
    setTimeout: (f, ms) => pending.push({ f, ms }) && pending.length,
    clearTimeout: () => {},
    fire: () => pending.shift().f(),
  };
}

const answer = (status) => Promise.resolve({ ok: status >= 200 && status < 300, status });

test("back-off doubles from 1 s and stops at 60 s", () => {
  assert.deepEqual([0, 1, 2, 3, 5, 6, 7, 20].map(backoff), [1e3, 2e3, 4e3, 8e3, 32e3, 6e4, 6e4, 6e4]);
});

test("only server errors, timeouts and throttling are retried", () => {
  assert.deepEqual([500, 503, 408, 429, 400, 404, 409, 422].map(retryable), [true, true, true, true, false, false, false, false]);
});

test("an acknowledged decision leaves the queue and storage", async () => {
  const storage = memoryStorage(), sent = [];
  const queue = createQueue({ storage, key: "q", send: (item) => (sent.push(item.id), answer(201)), timers: fakeTimers() });
  await queue.add({ id: "a" });
  assert.deepEqual(sent, ["a"]);
  assert.deepEqual(queue.items(), []);
  assert.equal(storage.data.get("q"), "[]");
});

test("a server error keeps the decision in storage and retries with growing delays", async () => {
  const storage = memoryStorage(), timers = fakeTimers(), statuses = [503, 503, 500, 201], sent = [];
  const queue = createQueue({ storage, key: "q", send: (item) => (sent.push(item.id), answer(statuses.shift())), timers });
  await queue.add({ id: "a" });
  assert.deepEqual(JSON.parse(storage.data.get("q")), [{ id: "a" }]);
  assert.deepEqual(timers.pending.map((t) => t.ms), [1000]);
  await timers.fire();
  await timers.fire();
  assert.deepEqual(timers.pending.map((t) => t.ms), [4000]);
  await timers.fire();
  assert.deepEqual(sent, ["a", "a", "a", "a"]);
  assert.deepEqual(queue.items(), []);
  // After a success the back-off starts again from 1 s.
  statuses.push(503);
  await queue.add({ id: "b" });
  assert.deepEqual(timers.pending.map((t) => t.ms), [1000]);
});

test("a network failure is retried; a conflict or bad request is dropped", async () => {
  const timers = fakeTimers();
  let fail = true;
  const queue = createQueue({
    storage: memoryStorage(),
    key: "q",
    send: (item) => (item.id === "net" && fail ? Promise.reject(new TypeError("offline")) : answer(item.id === "dup" ? 409 : 400)),
    timers,
  });
  await queue.add({ id: "net" });
  assert.equal(queue.items().length, 1);
  assert.equal(timers.pending.length, 1);
  fail = false;
  await queue.add({ id: "dup" }); // busy? no: the failed send settled, so this flushes "net" (400, dropped) then "dup"
  assert.deepEqual(queue.items(), []);
});

test("decisions queued on an earlier page load are sent in order", async () => {
  const storage = memoryStorage(), sent = [];
  storage.setItem("q", JSON.stringify([{ id: "old1" }, { id: "old2" }]));
  const queue = createQueue({ storage, key: "q", send: (item) => (sent.push(item.id), answer(200)), timers: fakeTimers() });
  await queue.flush();
  assert.deepEqual(sent, ["old1", "old2"]);
});

test("blocked storage: the queue lives in memory", async () => {
  const blocked = {
    getItem() {
      throw new Error("SecurityError");
    },
    setItem() {
      throw new Error("SecurityError");
    },
  };
  const timers = fakeTimers();
  const queue = createQueue({ storage: blocked, key: "q", send: () => answer(503), timers });
  await queue.add({ id: "a" });
  assert.deepEqual(queue.items(), [{ id: "a" }]);
  const none = createQueue({ storage: undefined, key: "q", send: () => answer(503), timers });
  await none.add({ id: "b" });
  assert.deepEqual(none.items(), [{ id: "b" }]);
});
