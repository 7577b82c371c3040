"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

In CI a missing browser is a failure, not a skip.
"""

import json
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is required for browser tests: {CHROMIUM} not found (apt-get install chromium).")
    # Playwright's sync API runs its own event loop; Django must allow sync DB calls around it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def axe_violations(page, selector=None, tags=("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")):
    """Run axe-core in the page (optionally limited to a selector); return its violations."""
    if not AXE.exists():
        pytest.fail("axe-core is required: run `npm install` at the repository root.")
    # Evaluated through the devtools protocol, not as a <script> tag: pages under a strict CSP refuse inline scripts.
    page.evaluate("() => {\n" + AXE.read_text() + "\n}")
    context = json.dumps(selector) if selector else "document"
    return page.evaluate(
        f"""async () => {{
            const result = await axe.run({context}, {{runOnly: {{type: "tag", values: {json.dumps(list(tags))}}}}});
            return result.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" "))}}));
        }}"""
    )
