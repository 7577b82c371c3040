"""The ledger's two write paths give the same rows, for random mixes of every kind of decision.

A seeded sequence of banner decisions, token links, server API decisions, preference-centre
changes and unsubscribes is played on a fresh copy of the same site twice: once with the
PostgreSQL one-statement writes on, once forced down the general path. Time, ids and the
random receipt ids are the same in both runs, so every row (subjects, aliases, events with
their hashes, states, receipts) must be equal, not only alike. A small model of what each
person decided is checked too, so the test also holds on SQLite, where only the general path
exists.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from rest_framework.test import APIClient

from consent.ledger import verify_chain
from consent.models import (
    AliasKind,
    ConsentEvent,
    ConsentState,
    Decision,
    DecisionReceipt,
    LegalBasis,
    Purpose,
    Site,
    Subject,
    SubjectAlias,
    Vendor,
)
from consent.process_caches import caches
from consent.services.subjects import find_subject
from consent.tokens import make_api_key, sign_subject_token
from features.centre.preferences import save_choices
from features.centre.unsubscribe import unsubscribe

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VISITORS = ["v-1", "v-2", "v-3", "v-77", "u-1"]  # "u-1" is also a user id: namespaces must not mix
USERS = ["u-1", "u-2", "u-3"]
REFS = ["v-77", "v-2", "u-1", "u-2", "x-9"]
CHOICE_PURPOSES = ["analytics", "advertising", "marketing_email"]
PURPOSES = [*CHOICE_PURPOSES, "surveys"]
STEPS = 70


class Clock:
    """Every `timezone.now()` within one step is the same instant; steps are a second apart."""

    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


def make_site():
    site = Site.objects.create(
        key="twin", name="Twin", languages=["en"], allowed_origins=["https://twin.test"], secret="s" * 43
    )
    for position, (key, basis) in enumerate(
        [
            ("essential", LegalBasis.CONTRACT),
            ("analytics", LegalBasis.CONSENT),
            ("advertising", LegalBasis.CONSENT),
            ("marketing_email", LegalBasis.CONSENT),
            ("surveys", LegalBasis.LEGITIMATE_INTEREST),
        ]
    ):
        Purpose.objects.create(site=site, key=key, legal_basis=basis, essential=key == "essential", position=position)
    vendor = Vendor.objects.create(site=site, key="partner_ads", name="Partner Ads", country="US")
    vendor.purposes.add(Purpose.objects.get(site=site, key="advertising"))
    return site


def reset_sequences():
    """Both runs number every row from the same start (PostgreSQL sequences ignore rollbacks)."""
    if connection.vendor != "postgresql":
        return  # SQLite's counters roll back with the savepoint
    tables = [m._meta.db_table for app in ("consent", "cookies") for m in apps.get_app_config(app).get_models()]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute("SELECT setval(%s, 500000, false)", [sequence])


def random_decisions(rng, purposes):
    return {key: rng.choice(["granted", "denied"]) for key in rng.sample(purposes, rng.randint(1, len(purposes)))}


# --- the model: who each reference names and what they decided -------------------------------


class Model:
    """The ledger's promises in a few lines: the same rules, none of the machinery."""

    def __init__(self):
        self.person_of = {}  # (kind, value) -> person number
        self.states = {}  # person -> {(purpose, vendor): state}
        self.events = {}  # person -> count

    def new_person(self, *aliases):
        person = len(self.states)
        self.states[person], self.events[person] = {}, 0
        for alias in aliases:
            self.person_of[alias] = person
        return person

    def banner(self, visitor):
        person = self.person_of.get((AliasKind.VISITOR, visitor))
        return self.new_person((AliasKind.VISITOR, visitor)) if person is None else person

    def server(self, ref):
        for kind in (AliasKind.USER, AliasKind.VISITOR):
            if (kind, ref) in self.person_of:
                return self.person_of[(kind, ref)]
        return self.new_person((AliasKind.USER, ref))

    def link(self, visitor, user):
        person = self.person_of.get((AliasKind.USER, user))
        if person is None:
            person = self.person_of.get((AliasKind.VISITOR, visitor))
            if person is None:
                return self.new_person((AliasKind.USER, user), (AliasKind.VISITOR, visitor))
            self.person_of[(AliasKind.USER, user)] = person
        self.person_of[(AliasKind.VISITOR, visitor)] = person
        return person

    def decide(self, person, key, vendor, requested):
        states = self.states[person]
        previous = states.get((key, vendor))
        if requested == Decision.GRANTED:
            stored = Decision.GRANTED
        elif key != "surveys" and previous == Decision.GRANTED:
            stored = Decision.WITHDRAWN
        elif requested == Decision.WITHDRAWN:
            stored = Decision.DENIED
        else:
            stored = requested
        states[(key, vendor)] = stored
        self.events[person] += 1


def check_model(site, model):
    """The database names the same people by the same references, in the same states."""
    subject_of = dict(
        ((kind, value), subject)
        for kind, value, subject in SubjectAlias.objects.filter(site=site).values_list("kind", "value", "subject_id")
    )
    assert set(subject_of) == set(model.person_of)
    person_to_subject = {}
    for alias, person in model.person_of.items():
        assert person_to_subject.setdefault(person, subject_of[alias]) == subject_of[alias], f"{alias} forked"
    assert len(set(person_to_subject.values())) == len(person_to_subject), "two people share a subject"
    for person, subject_id in person_to_subject.items():
        stored = {
            (key, vendor): state
            for key, vendor, state in ConsentState.objects.filter(subject_id=subject_id).values_list(
                "purpose__key", "vendor__key", "state"
            )
        }
        assert stored == model.states[person], f"person {person}"
        assert ConsentEvent.objects.filter(subject_id=subject_id).count() == model.events[person]


# --- every row of a site, comparable across runs -------------------------------------------


def snapshot(site):
    """Every ledger row of the site. Subject ids and hashes must match exactly; the ids of event,
    state, alias and receipt rows are left out (a state names its event by subject and seq)."""
    events = {pk: (subject, seq) for pk, subject, seq in ConsentEvent.objects.values_list("id", "subject_id", "seq")}

    def rows(queryset, *order):
        out = []
        for row in queryset.order_by(*order).values():
            if queryset.model is not Subject:
                row.pop("id")
            if "event_id" in row:
                row["event_id"] = events[row["event_id"]]
            out.append(row)
        return out

    return {
        "subjects": rows(Subject.objects.filter(site=site), "id"),
        "aliases": rows(SubjectAlias.objects.filter(site=site), "kind", "value"),
        "events": rows(ConsentEvent.objects.filter(site=site), "subject_id", "seq"),
        "states": rows(ConsentState.objects.filter(subject__site=site), "subject_id", "purpose_id", "vendor_id"),
        "receipts": rows(DecisionReceipt.objects.filter(site=site), "receipt_id"),
    }


# --- one run --------------------------------------------------------------------------------


def play(seed, *, fast):  # noqa: C901  (one branch per kind of step the model replays, kept side by side)
    """Play the seeded sequence on a fresh copy of the site; return its rows and the kinds played.

    Everything happens inside a savepoint that is rolled back, so the next run starts afresh.
    """
    rng = random.Random(seed)
    clock = Clock()
    ids = random.Random()
    client = APIClient()
    model, played = Model(), []

    def fake_uuid4():
        return uuid.UUID(int=ids.getrandbits(128), version=4)

    with (
        override_settings(LEDGER_FAST_PATHS=fast),
        mock.patch("django.utils.timezone.now", clock),
        mock.patch("uuid.uuid4", fake_uuid4),
        transaction.atomic(),
    ):
        reset_sequences()
        cache.clear()
        caches.reset()
        site = make_site()
        with mock.patch("secrets.token_hex", lambda n: "ab" * n):  # the key's prefix is evidence
            _, key = make_api_key(site)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        marketing = Purpose.objects.get(site=site, key="marketing_email")
        for step in range(STEPS):
            clock.now = START + timedelta(seconds=step)
            ids.seed(f"{seed}:{step}")
            kind = rng.choice(["banner", "banner", "link", "server", "server", "centre", "unsubscribe"])
            if kind in ("banner", "link"):
                visitor, decisions = rng.choice(VISITORS), random_decisions(rng, PURPOSES)
                body = {"id": str(fake_uuid4()), "visitor_id": visitor, "decisions": decisions, "method": "custom"}
                vendor = rng.choice([None, None, "granted", "denied"])
                if vendor:
                    body["vendors"] = {"partner_ads": vendor}
                if kind == "link":
                    user = rng.choice(USERS)
                    body["subject_token"] = sign_subject_token(site, user, now=clock.now.timestamp())
                    person = model.link(visitor, user)
                else:
                    person = model.banner(visitor)
                response = client.post("/api/v1/sites/twin/decisions", body, format="json")
                assert response.status_code == 201, response.content
                for key, value in decisions.items():
                    model.decide(person, key, None, value)
                if vendor:
                    model.decide(person, "advertising", "partner_ads", vendor)
            elif kind == "server":
                ref, decisions = rng.choice(REFS), random_decisions(rng, PURPOSES)
                body = {"id": str(fake_uuid4()), "decisions": decisions}
                response = client.post(f"/api/v1/subjects/{ref}/decisions", body, format="json", **auth)
                assert response.status_code == 201, response.content
                person = model.server(ref)
                for key, value in decisions.items():
                    model.decide(person, key, None, value)
            else:
                if not model.person_of:
                    continue
                alias = rng.choice(sorted(model.person_of))
                person, subject_id = model.person_of[alias], find_subject(site, alias[1], kinds=(alias[0],))
                states = model.states[person]
                if kind == "centre":
                    choices = random_decisions(rng, CHOICE_PURPOSES)
                    save_choices(site, subject_id, choices)
                    for key, value in choices.items():
                        current = states.get((key, None))
                        if value == Decision.GRANTED and current != Decision.GRANTED:
                            model.decide(person, key, None, value)
                        elif value == Decision.DENIED and current not in (Decision.DENIED, Decision.WITHDRAWN):
                            model.decide(person, key, None, value)
                else:
                    unsubscribe(site, subject_id, marketing)
                    if states.get(("marketing_email", None)) not in (Decision.DENIED, Decision.WITHDRAWN):
                        model.decide(person, "marketing_email", None, Decision.WITHDRAWN)
            played.append(kind)
            check_model(site, model)
        rows = snapshot(site)
        assert verify_chain(site) is None
        transaction.set_rollback(True)
    return rows, played


SEEDS = [1, 2, 3]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", SEEDS)
def test_general_path_keeps_every_promise(seed):
    """The general path names each person once and keeps their latest decisions (on PostgreSQL
    the differential test below plays this very run, model checks included)."""
    if connection.vendor == "postgresql":
        pytest.skip("played by test_fast_paths_write_the_same_rows_as_the_general_path")
    rows, played = play(seed, fast=False)
    assert set(played) == {"banner", "link", "server", "centre", "unsubscribe"}
    assert len(rows["events"]) > STEPS


@pytest.mark.django_db
@pytest.mark.parametrize("seed", SEEDS)
def test_fast_paths_write_the_same_rows_as_the_general_path(seed):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement writes are PostgreSQL's; SQLite has only the general path")
    fast, _ = play(seed, fast=True)
    general, _ = play(seed, fast=False)
    for table in ("events", "aliases", "states", "receipts", "subjects"):
        assert len(fast[table]) == len(general[table]), table
        for a, b in zip(fast[table], general[table], strict=True):
            assert a == b, table
