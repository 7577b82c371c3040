import pytest
from rest_framework.test import APIClient

from cookies.services import publish_banner
from tests.api.banner_support import TEXTS


@pytest.fixture
def client():
    """A DRF test client (the shared cache is emptied before every test by tests/conftest.py)."""
    return APIClient()


@pytest.fixture
def banner(site):
    """The site's banner version 1, published with the shared test texts."""
    return publish_banner(site, TEXTS)
