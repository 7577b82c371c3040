"""Every per-process cache in one registry, so one call forgets them all.

Some hot paths keep small in-process memories (site catalogues, built banner bodies, known
visitor aliases, pre-taken subject ids, open IP databases, the parsed signing key). Each module
registers how to forget its own; tests call `caches.reset()` before each test so a rolled-back
database never meets a memory of it, and an operator's reload can do the same.
"""

import threading


class ProcessCaches:
    def __init__(self):
        self._lock = threading.Lock()
        self._resets = {}

    def register(self, name, reset):
        """Name a cache and the no-argument callable that empties it; returns `reset`."""
        with self._lock:
            self._resets[name] = reset
        return reset

    def names(self):
        return sorted(self._resets)

    def reset(self):
        """Empty every registered cache of this process."""
        with self._lock:
            resets = list(self._resets.values())
        for reset in resets:
            reset()


caches = ProcessCaches()
