"""Signed checkpoints: for each site, Merkle roots over all its events so far and over every
subject's chain head, signed with the ledger key (`manage.py checkpoint_ledger`, on a schedule).

Events are leaves in id order, split into buckets of `BUCKET_SIZE` consecutive ids; heads are
(subject id, seq, hash) in subject order, bucketed by subject id. The signed roots are trees over
the bucket roots, and every bucket root is kept with the checkpoint, so a verifier that finds a
root changed can say which range of events or subjects changed. A checkpoint covers the events
with ids up to `upto_event_id`, chosen once every transaction that could still add a lower id
has ended, so that later writes never fall inside a checkpoint already taken.
"""

import hashlib
import time
from bisect import bisect_left, bisect_right
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from consent.ledger import canonical_time
from consent.models import LedgerCheckpoint, Site
from consent.proof import keys
from consent.proof.merkle import buckets_root, event_leaves, head_leaves, merkle_root
from consent.proof.streams import PAGE, event_hash_pages

BUCKET_SIZE = 4096
PAYLOAD_TYPE = "consent-ledger-checkpoint/1"
SETTLE_TIMEOUT = 30.0


class CheckpointError(Exception):
    pass


class EventBuckets:
    """Roots of events given in id order, per bucket of ids, and for each cut the bucket the cut
    falls in, holding only the events up to the cut. Rows come a list at a time (id and hash
    first); a list's leaves are hashed at once, a bucket's tree a level at a time."""

    def __init__(self, size=BUCKET_SIZE, cuts=()):
        self.size = size
        self.cuts = sorted(set(cuts))
        self.full, self.partial = {}, dict.fromkeys(self.cuts, {})
        self.bucket, self.ids, self.leaves = None, [], []

    def add(self, rows):
        size, leaves = self.size, event_leaves(rows)
        start = 0
        while start < len(rows):
            here = rows[start][0] // size
            if here != self.bucket:
                self._close()
                self.bucket, self.ids, self.leaves = here, [], []
            end = bisect_left(rows, (here + 1) * size, start, key=itemgetter(0))
            self.ids.extend(row[0] for row in rows[start:end])
            self.leaves.extend(leaves[start:end])
            start = end

    def _close(self):
        if self.bucket is None:
            return
        bucket, ids, leaves = self.bucket, self.ids, self.leaves
        self.full[bucket] = (len(leaves), merkle_root(leaves))
        for cut in self.cuts:
            if cut // self.size == bucket:
                kept = bisect_right(ids, cut)
                self.partial[cut] = {bucket: (kept, merkle_root(leaves[:kept]))} if kept else {}

    def done(self):
        """({bucket: (count, root)}, {cut: {bucket: (count, root)} or {}})."""
        self._close()
        self.bucket, self.ids, self.leaves = None, [], []
        return self.full, self.partial


def event_buckets(site_id, after_id, upto_id, size=BUCKET_SIZE, cuts=()):
    """Roots of a site's events after_id < id <= upto_id, per bucket of ids.

    Returns ({bucket: (count, root)}, {cut: {bucket: (count, root)} or {}}): for each event id
    in `cuts`, the bucket the cut falls in, holding only the events up to the cut. One pass.
    """
    buckets = EventBuckets(size, [c for c in cuts if after_id < c <= upto_id])
    for rows in event_hash_pages(site_id, after_id, upto_id):
        buckets.add(rows)
    return buckets.done()


def _head_rows(site_id, upto_id):
    """(subject, seq, hash) of the last event of each subject of the site with id <= upto_id."""
    # Tombstones of events removed by retention count: a head of an earlier cut may be one.
    sql = (
        "SELECT subject_id, seq, hash FROM (SELECT subject_id, seq, hash FROM consent_consentevent "
        "WHERE site_id = %s AND id <= %s AND (subject_id, seq) > (%s, %s) UNION ALL "
        "SELECT subject_id, seq, hash FROM consent_compactedevent WHERE site_id = %s AND id <= %s "
        "AND (subject_id, seq) > (%s, %s)) AS e ORDER BY subject_id, seq LIMIT %s"
    )
    last_subject, last_seq, head = 0, 0, None
    while True:
        with connection.cursor() as cursor:
            params = [site_id, upto_id, last_subject, last_seq]
            cursor.execute(sql, [*params, *params, PAGE])
            rows = cursor.fetchall()
        for row in rows:
            if head is not None and row[0] != head[0]:
                yield head
            head = row
        if len(rows) < PAGE:
            break
        last_subject, last_seq = rows[-1][0], rows[-1][1]
    if head is not None:
        yield head


class HeadBuckets:
    """Heads added in subject order, rooted per bucket of subject ids (one bucket held at a time)."""

    def __init__(self, size=BUCKET_SIZE):
        self.size = size
        self.buckets = {}
        self._bucket, self._rows = None, []

    def add(self, subject_id, seq, head_hash):
        bucket = subject_id // self.size
        if bucket != self._bucket:
            self._flush()
            self._bucket, self._rows = bucket, []
        self._rows.append((subject_id, seq, head_hash))

    def _flush(self):
        if self._rows:
            self.buckets[self._bucket] = (len(self._rows), merkle_root(head_leaves(self._rows)))

    def done(self):
        self._flush()
        self._rows = []
        return self.buckets


def encode_buckets(buckets):
    return {str(b): [count, root.hex()] for b, (count, root) in sorted(buckets.items())}


def decode_buckets(data):
    return {int(b): (count, bytes.fromhex(root)) for b, (count, root) in data.items()}


def payload(checkpoint, site_key):
    """What is signed: the roots and what they cover, never the rows themselves."""
    return {
        "type": PAYLOAD_TYPE,
        "site": site_key,
        "site_id": checkpoint.site_id,
        "created_at": canonical_time(checkpoint.created_at),
        "upto_event_id": checkpoint.upto_event_id,
        "event_count": checkpoint.event_count,
        "events_root": checkpoint.events_root,
        "head_count": checkpoint.head_count,
        "heads_root": checkpoint.heads_root,
        "bucket_size": checkpoint.bucket_size,
        "previous": checkpoint.previous,
    }


def link(checkpoint):
    """What the next checkpoint of the site records as `previous`: deleting one breaks the chain."""
    return hashlib.sha256(checkpoint.signature.encode()).hexdigest() if checkpoint is not None else ""


def settled_max_event_id(timeout=SETTLE_TIMEOUT):
    """The highest event id below which no event can still appear.

    Ids are drawn before commit, so a transaction still running may yet commit an id lower than
    the highest visible one. On PostgreSQL, wait until every transaction of this database that
    held a transaction id when the maximum was read has ended (our own excepted; the role needs
    to see its sessions in pg_stat_activity, which it does for its own). SQLite has one writer.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM consent_consentevent")
        upto = cursor.fetchone()[0]
        if connection.vendor != "postgresql":
            return upto
        cursor.execute(
            "SELECT pid, backend_xid::text FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        running = cursor.fetchall()
        deadline = time.monotonic() + timeout
        while running:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity a JOIN unnest(%s::int[], %s::text[]) AS w(pid, xid) "
                "ON a.pid = w.pid AND a.backend_xid::text = w.xid",
                [[pid for pid, _ in running], [xid for _, xid in running]],
            )
            if cursor.fetchone()[0] == 0:
                break
            if time.monotonic() > deadline:
                raise CheckpointError("Writes have been in progress for too long; try again.")
            time.sleep(0.05)
        return upto


def create_checkpoint(site, upto_id, now=None, previous=None):
    """Compute, sign and store a checkpoint of `site` covering its events with id <= upto_id,
    chained to the site's `previous` checkpoint."""
    events, _ = event_buckets(site.pk, 0, upto_id)
    heads = HeadBuckets()
    for subject_id, seq, head_hash in _head_rows(site.pk, upto_id):
        heads.add(subject_id, seq, head_hash)
    heads = heads.done()
    checkpoint = LedgerCheckpoint(
        site=site,
        created_at=now or timezone.now(),
        upto_event_id=upto_id,
        event_count=sum(count for count, _ in events.values()),
        events_root=buckets_root(events).hex(),
        head_count=sum(count for count, _ in heads.values()),
        heads_root=buckets_root(heads).hex(),
        bucket_size=BUCKET_SIZE,
        buckets={"events": encode_buckets(events), "heads": encode_buckets(heads)},
        previous=link(previous),
    )
    checkpoint.kid, checkpoint.signature = keys.sign(payload(checkpoint, site.key))
    checkpoint.save()
    return checkpoint


def checkpoint_sites(sites=None, now=None):
    """A new checkpoint for every site (or those given) whose ledger grew since its last one.

    Returns [(site, checkpoint or None when nothing changed)].
    """
    upto = settled_max_event_id()
    done = []
    for site in sites if sites is not None else Site.objects.order_by("id"):
        last = LedgerCheckpoint.objects.filter(site=site).order_by("-upto_event_id", "-id").first()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM consent_consentevent WHERE site_id = %s AND id > %s AND id <= %s",
                [site.pk, last.upto_event_id if last else 0, upto],
            )
            new_events = cursor.fetchone()[0]
        if last is not None and not new_events:
            done.append((site, None))
            continue
        with transaction.atomic():
            done.append((site, create_checkpoint(site, upto, now, previous=last)))
    return done
