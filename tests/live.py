"""Reading the live server's database from a browser test, and waiting for it by events.

The banner posts decisions asynchronously: a test waits for the page's next finished request
(the server commits before it answers) and reads again, never for a fixed time.
"""

import time

from django.db import OperationalError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def read(query, attempts=50):
    """A read of the live server's database; SQLite's shared in-memory database may say
    "table is locked" while the server thread writes: retry then (a lock retry, not a wait for state)."""
    for attempt in range(attempts):
        try:
            return query()
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def wait_for(page, check, timeout=8.0):
    """`check()` once it is truthy, re-read after each request the page finishes; its last value
    when `timeout` seconds pass. Waiting through the page lets Playwright run route handlers."""
    deadline = time.monotonic() + timeout
    while True:
        value = read(check)
        remaining = deadline - time.monotonic()
        if value or remaining <= 0:
            return value
        if page is None:  # no page to wait through: poll
            time.sleep(min(0.05, remaining))
            continue
        try:
            page.wait_for_event("requestfinished", timeout=remaining * 1000)
        except PlaywrightTimeoutError:
            return read(check)
