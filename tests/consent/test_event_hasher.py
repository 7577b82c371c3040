"""The per-request hasher writes byte for byte the canonical JSON `event_hash` writes: otherwise
chains written by one would stop verifying with the other (and old chains with the new code)."""

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

from consent.ledger import event_hash, event_hasher
from consent.models import ConsentEvent, Decision

TEXTS = ["", "FR", "fr-CA", "é", "ü\u00a0x", '"quoted"\\', "日本語", "tab\there", "\u2028", "x" * 40]
EVIDENCES = [
    None,
    {},
    {"gpc": True},
    {"b": 1, "a": [1, "é", None]},
    {"parental_consent": {"method": "m", "given_by": "ü"}},
]


def _random_event(rng):
    zone = timezone(timedelta(hours=rng.choice([0, 2, -5])))
    return dict(
        site_id=rng.randint(1, 10**6),
        subject_id=rng.randint(1, 10**12),
        policy_version=rng.choice([None, 0, 1, 42]),
        banner_version=rng.choice([None, 1, 7]),
        method=rng.choice(["custom", "accept_all", "api", "é"]),
        jurisdiction=rng.choice(TEXTS)[:8],
        language=rng.choice(TEXTS)[:16],
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC).astimezone(zone) + timedelta(microseconds=rng.randint(0, 10**12)),
        ip=rng.choice(["", "203.0.113.0", "2001:db8::", "a1b2" * 8]),
        user_agent=rng.choice(TEXTS),
        receipt_id=rng.choice([None, uuid.UUID(int=rng.getrandbits(128)), str(uuid.UUID(int=rng.getrandbits(128)))]),
        evidence=rng.choice(EVIDENCES),
    )


def test_the_hasher_matches_event_hash_over_random_events():
    rng = random.Random(27560)
    for _ in range(500):
        shared = _random_event(rng)
        site_id, subject_id = shared.pop("site_id"), shared.pop("subject_id")
        hash_ = event_hasher(site_id, subject_id, shared)
        prev = rng.choice(["", "0" * 64, "é"])
        for seq in range(1, rng.randint(2, 6)):
            per_event = dict(
                seq=seq,
                purpose_id=rng.randint(1, 10**9),
                vendor_id=rng.choice([None, rng.randint(1, 10**9)]),
                decision=rng.choice([Decision.GRANTED, Decision.DENIED, "withdrawn"]),
                version=rng.randint(1, 10**6),
            )
            event = ConsentEvent(site_id=site_id, subject_id=subject_id, **shared, **per_event, prev_hash=prev)
            expected = event_hash(event, prev)
            got = hash_(
                per_event["seq"],
                per_event["purpose_id"],
                per_event["vendor_id"],
                per_event["decision"],
                per_event["version"],
                prev,
            )
            assert got == expected, (shared, per_event)
            prev = got


def test_a_known_event_keeps_its_hash():
    """A fixed event and the hash it has always had: a change to the canonical form fails here."""
    event = ConsentEvent(
        site_id=1,
        subject_id=2,
        seq=3,
        purpose_id=4,
        vendor_id=None,
        decision="granted",
        version=1,
        policy_version=1,
        banner_version=1,
        method="custom",
        jurisdiction="FR",
        language="fr",
        recorded_at=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        ip="203.0.113.0",
        user_agent="Mozilla/5.0 é",
        receipt_id=uuid.UUID("6f1c2b9e-6d7a-4f7e-9a61-0c3f5b2d8e41"),
        evidence={},
    )
    assert event_hash(event, "") == KNOWN_HASH


KNOWN_HASH = "c5670053a159c12f34f79dc60875235750e60d276a94097d05cce9f02673bee8"
