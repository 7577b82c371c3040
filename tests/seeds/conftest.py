"""The browser fixtures of tests/browser, for the promises a banner keeps in the browser."""

from tests.browser.conftest import browser, context, page  # noqa: F401
