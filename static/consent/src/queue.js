// Decisions waiting for the platform's acknowledgement. Each is kept in localStorage until a
// 2xx (or a client error that retrying cannot fix) and retried with exponential back-off,
// also on the next page load. The platform is idempotent on the decision id.

export const MIN_DELAY = 1e3;
export const MAX_DELAY = 6e4;

/** Milliseconds to wait before retry number `tries` (0-based): 1 s, 2 s, 4 s ... at most 60 s. */
export function backoff(tries) {
  return Math.min(MIN_DELAY * 2 ** tries, MAX_DELAY);
}

/** Whether a failed answer is worth retrying: server errors, timeouts and throttling. */
export function retryable(status) {
  return status < 400 || status > 499 || status === 408 || status === 429;
}

/**
 * A persistent queue. `send(item)` returns a promise of a fetch Response (or rejects when the
 * network fails); `storage` may be undefined or throw (blocked storage): then it lives in memory.
 */
export function createQueue({ storage, key, send, timers }) {
  let memory = [], busy = false, tries = 0, timer;
  function items() {
    try {
      return storage ? JSON.parse(storage.getItem(key)) || [] : memory;
    } catch {
      return memory;
    }
  }
  function save(list) {
    memory = list;
    try {
      storage.setItem(key, JSON.stringify(list));
    } catch {
      // memory only
    }
  }
  function flush() {
    const item = items()[0];
    if (busy || !item) return Promise.resolve();
    busy = true;
    return send(item)
      .then((r) => {
        if (!r.ok && retryable(r.status)) throw r.status;
      })
      .then(
        () => {
          save(items().filter((x) => x.id !== item.id));
          busy = false;
          tries = 0;
          return flush();
        },
        () => {
          busy = false;
          timers.clearTimeout(timer);
          timer = timers.setTimeout(flush, backoff(tries++));
        },
      );
  }
  return {
    items,
    flush,
    add(item) {
      save(items().concat(item));
      return flush();
    },
  };
}
