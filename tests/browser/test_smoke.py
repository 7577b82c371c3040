import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def test_landing_page_renders_and_is_accessible(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Consent platform"
    assert axe_violations(page) == []
