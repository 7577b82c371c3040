"""Compaction: removing superseded events from the ledger without breaking its proof.

An event may leave the ledger only through here: its tombstone (id, subject, seq, prev_hash,
hash, receipt id; no content) is written first, and the database lets the event's row go only
when a tombstone with the same id and hash exists (consent/ledger.py). Each batch is recorded as
a `LedgerCompaction`: a signed Merkle root over the (id, hash) leaves it removed, taken after a
signed checkpoint that covers them. So chains still link, older checkpoints still recompute, and
`verify_ledger` can tell a retention run from tampering (docs/retention.md).
"""

from django.db import connection, transaction
from django.utils import timezone

from consent.ledger import canonical_time
from consent.models import CompactedEvent, LedgerCompaction
from consent.proof import keys
from consent.proof.merkle import TreeBuilder, event_leaf

PAYLOAD_TYPE = "consent-ledger-compaction/1"
BATCH = 5_000


def payload(compaction, site_key):
    """What is signed: what was removed (its root and count), when, and behind which checkpoint."""
    return {
        "type": PAYLOAD_TYPE,
        "site": site_key,
        "site_id": compaction.site_id,
        "created_at": canonical_time(compaction.created_at),
        "cutoff": canonical_time(compaction.cutoff),
        "checkpoint_id": compaction.checkpoint_id,
        "event_count": compaction.event_count,
        "removed_root": compaction.removed_root,
    }


def removed_root(pairs):
    """Merkle root (hex) over (event id, hash) pairs in id order."""
    builder = TreeBuilder()
    for event_id, event_hash in pairs:
        builder.add(event_leaf(event_id, event_hash))
    return builder.root().hex()


# Superseded: not the event a current state points at, not a subject's chain head, not the
# evidence of a confirmed subscription. Only events a checkpoint already covers.
_CANDIDATES = """
SELECT e.id, e.subject_id, e.seq, e.prev_hash, e.hash, e.receipt_id FROM consent_consentevent e
JOIN consent_subject s ON s.id = e.subject_id
WHERE e.site_id = %s AND e.id <= %s AND e.recorded_at < %s AND e.seq < s.last_seq
AND NOT EXISTS (SELECT 1 FROM consent_consentstate st WHERE st.event_id = e.id)
AND NOT EXISTS (SELECT 1 FROM consent_pendingsubscription p WHERE p.event_id = e.id)
ORDER BY e.id LIMIT %s
"""


def compact_batch(site, checkpoint, cutoff, now=None, batch=BATCH):
    """Remove up to `batch` superseded events of `site` recorded before `cutoff` and covered by
    `checkpoint`; returns the LedgerCompaction, or None when nothing was left to remove."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CANDIDATES, [site.pk, checkpoint.upto_event_id, cutoff, batch])
            rows = cursor.fetchall()
        if not rows:
            return None
        compaction = LedgerCompaction(
            site=site,
            created_at=now or timezone.now(),
            cutoff=cutoff,
            checkpoint=checkpoint,
            event_count=len(rows),
            removed_root=removed_root((row[0], row[4]) for row in rows),
        )
        compaction.kid, compaction.signature = keys.sign(payload(compaction, site.key))
        compaction.save()
        CompactedEvent.objects.bulk_create(
            CompactedEvent(
                id=event_id,
                compaction=compaction,
                site_id=site.pk,
                subject_id=subject_id,
                seq=seq,
                prev_hash=prev_hash,
                hash=event_hash,
                receipt_id=receipt_id,
            )
            for event_id, subject_id, seq, prev_hash, event_hash, receipt_id in rows
        )
        ids = [row[0] for row in rows]
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor.execute(
                    f"DELETE FROM consent_consentevent WHERE id IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608 (placeholders only)
                    chunk,
                )
        return compaction


def check_compactions(sites, only_site=None, published=None):
    """Problems (site key, text) of the compaction records: a signature that does not verify, or
    tombstones that differ from the signed root (added, removed or changed after the run)."""
    problems = []
    records = LedgerCompaction.objects.order_by("id")
    if only_site is not None:
        records = records.filter(site_id=only_site)
    for compaction in records:
        site_key = sites.get(compaction.site_id, f"#{compaction.site_id}")
        label = f"compaction {compaction.pk}"
        if not keys.verify(payload(compaction, site_key), compaction.kid, compaction.signature, published):
            problems.append((site_key, f"{label}: signature does not verify (key {compaction.kid})"))
            continue
        pairs = CompactedEvent.objects.filter(compaction=compaction).order_by("id").values_list("id", "hash")
        pairs = list(pairs.iterator(chunk_size=BATCH))
        if len(pairs) != compaction.event_count or removed_root(pairs) != compaction.removed_root:
            problems.append(
                (
                    site_key,
                    f"{label}: its removed events differ from its signed root (signed "
                    f"{compaction.event_count}, found {len(pairs)})",
                )
            )
    return problems
