"""One registry forgets every per-process cache (consent.process_caches)."""

import pytest

from api import catalogue
from consent.process_caches import ProcessCaches, caches
from consent.services import first_decision


def test_registry_calls_every_registered_reset():
    registry = ProcessCaches()
    forgotten = []
    registry.register("a", lambda: forgotten.append("a"))
    registry.register("b", lambda: forgotten.append("b"))
    registry.reset()
    assert sorted(forgotten) == ["a", "b"]
    assert registry.names() == ["a", "b"]


def test_the_project_registers_its_caches():
    assert {"api.catalogue", "jurisdiction.readers", "ledger.known_aliases", "published.memo"} <= set(caches.names())


@pytest.mark.django_db
def test_reset_forgets_catalogues_and_known_aliases(site):
    assert catalogue.get_catalogue(site.key) is not None
    first_decision.known_aliases.add((site.pk, "visitor", "v-1"))
    assert catalogue._entries
    caches.reset()
    assert not catalogue._entries
    assert not first_decision.known_aliases
