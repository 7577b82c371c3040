"""Fixtures every seed test file shares; each file's own `site` fixture loads its demo business."""

import pytest

from tests.seeds.helpers import Backend


@pytest.fixture
def backend(client, site):
    return Backend(client, site)
