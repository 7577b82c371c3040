"""`manage.py verify_ledger`: recompute every chain and check states, receipts and the signed
checkpoints against the stored events.

The ledger is read in ranges (subjects by id for the chains, events by id for the Merkle trees),
a page at a time, so memory stays flat as it grows; on PostgreSQL the ranges are shared among
processes, and a range of subjects goes first through the fast pass of `certify.py`, which
certifies it or sends it back here (`_ChainCheck`) to be read in detail. Each problem names the
site and what broke; none found means the ledger is whole.

Over 400 lines on purpose: the verifier's passes share one read-only context and worker pool; split,
they would pass it around.
"""

import gc
import json
import multiprocessing
import os
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from hashlib import sha256
from itertools import groupby
from json.encoder import encode_basestring
from operator import itemgetter

from django.conf import settings
from django.db import connection, connections

from consent.models import LedgerCheckpoint, Purpose, Site, Vendor
from consent.proof import keys
from consent.proof.certify import Doubt, RangeCertifier
from consent.proof.checkpoints import (
    BUCKET_SIZE,
    EventBuckets,
    HeadBuckets,
    decode_buckets,
    link,
    payload,
)
from consent.proof.compaction import check_compactions
from consent.proof.copies import check_copy
from consent.proof.merkle import buckets_root
from consent.proof.streams import compacted, event_hash_window, events_by_subject, receipts, states, subjects

MAX_PROBLEMS = 50
MERKLE_TASK_BUCKETS = 16


@dataclass
class Problem:
    site: str
    what: str

    def __str__(self):
        return f"site {self.site}: {self.what}"


@dataclass
class Report:
    problems: list = field(default_factory=list)
    events: int = 0
    subjects: int = 0
    checkpoints: int = 0
    seconds: float = 0.0
    workers: int = 1
    detailed_ranges: int = 0  # ranges of subjects the fast pass did not certify (read again in detail)
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


# Read-only context the workers share (forked processes inherit it).
_CONTEXT = {}
_INHERITED = []


def _canonical_evidence(text):
    if text == "{}":
        return text
    value = json.loads(text)
    return json.dumps(value or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _number(value):
    return "null" if value is None else str(value)  # PostgreSQL rows already say 'null'


def _hash(row, prev):
    """`consent.ledger.event_hash` of an event row from `streams.events_by_subject`, built as text:
    the same canonical JSON (sorted keys, no spaces, non-ASCII kept), several times faster."""
    (_, site, subject, seq, purpose, vendor, decision, version, policy_version, banner_version) = row[:10]
    (method, jurisdiction, language, recorded_at, ip, user_agent, receipt_id, evidence) = row[10:18]
    text = (
        f'{{"banner_version":{_number(banner_version)},"decision":{encode_basestring(decision)},'
        f'"evidence":{_canonical_evidence(evidence)},"ip":{encode_basestring(ip)},'
        f'"jurisdiction":{encode_basestring(jurisdiction)},"language":{encode_basestring(language)},'
        f'"method":{encode_basestring(method)},"policy_version":{_number(policy_version)},'
        f'"prev":{encode_basestring(prev)},"purpose":{purpose},'
        f'"receipt_id":{encode_basestring(receipt_id) if receipt_id else "null"},'
        f'"recorded_at":"{recorded_at}+00:00","seq":{seq},"site":{site},"subject":{subject},'
        f'"user_agent":{encode_basestring(user_agent)},"vendor":{_number(vendor)},"version":{version}}}'
    )
    return sha256(text.encode()).hexdigest()


class _RowHasher:
    """`_hash`, with the part an event shares with the event before it built once: the events of
    one request (one receipt) differ only in seq, purpose, vendor, decision, version and the
    previous hash, and a decision is most often several events. Same text, so the same hash."""

    def __init__(self):
        self.shared = None
        self.parts = None

    def __call__(self, row, prev):
        shared = row[1:3] + row[8:18]  # site, subject and the request's fields
        if shared != self.shared:
            self.shared, self.parts = shared, self._parts(row)
        head, middle, after_purpose, tail = self.parts
        text = (
            f'{head}{encode_basestring(row[6])}{middle}{encode_basestring(prev)},"purpose":{row[4]}'
            f'{after_purpose}{row[3]},{tail}{_number(row[5])},"version":{row[7]}}}'
        )
        return sha256(text.encode()).hexdigest()

    @staticmethod
    def _parts(row):
        (_, site, subject, _, _, _, _, _, policy_version, banner_version) = row[:10]
        (method, jurisdiction, language, recorded_at, ip, user_agent, receipt_id, evidence) = row[10:18]
        head = f'{{"banner_version":{_number(banner_version)},"decision":'
        middle = (
            f',"evidence":{_canonical_evidence(evidence)},"ip":{encode_basestring(ip)},'
            f'"jurisdiction":{encode_basestring(jurisdiction)},"language":{encode_basestring(language)},'
            f'"method":{encode_basestring(method)},"policy_version":{_number(policy_version)},"prev":'
        )
        after_purpose = (
            f',"receipt_id":{encode_basestring(receipt_id) if receipt_id else "null"},'
            f'"recorded_at":"{recorded_at}+00:00","seq":'
        )
        tail = f'"site":{site},"subject":{subject},"user_agent":{encode_basestring(user_agent)},"vendor":'
        return head, middle, after_purpose, tail


class _ChainCheck:
    """Checks of one range of subjects; problems are capped so a wrecked ledger stays readable."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.sites = _CONTEXT["sites"]
        self.only_site = _CONTEXT["only_site"]
        self.cuts = _CONTEXT["head_cuts"]
        self.purposes, self.vendors = _CONTEXT["purposes"], _CONTEXT["vendors"]
        self.problems = []
        self.hash = _RowHasher()
        self.events = 0
        self.heads = defaultdict(HeadBuckets)

    def problem(self, site_id, what):
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.sites.get(site_id, f"#{site_id}"), what))

    def run(self):
        lo, hi = self.lo, self.hi
        self.subjects = {row[0]: row[1:] for row in subjects(lo, hi)}
        self.states = defaultdict(dict)
        for subject_id, purpose, vendor, state, version, event in states(lo, hi):
            self.states[subject_id][(purpose, vendor)] = (state, version, event)
        self.receipts = defaultdict(dict)
        for subject_id, site_id, receipt_id, body in receipts(lo, hi):
            self.receipts[subject_id][receipt_id] = (site_id, body)
        self.stones = defaultdict(list)
        for stone in compacted(lo, hi):
            self.stones[int(stone[0])].append(stone)
        seen = set()
        current, chain = None, None
        for row in events_by_subject(lo, hi):
            if row[2] != current:
                if current is not None:
                    self.finish(chain)
                current = row[2]
                subject_id, site_id = int(current), int(row[1])
                seen.add(subject_id)
                chain = {
                    "subject": subject_id,
                    "site": site_id,
                    "seq": 0,
                    "hash": "",
                    "latest": {},
                    "receipts": defaultdict(list),
                    "compacted_receipts": set(),
                    "stones": self.stones.pop(subject_id, []),
                    "cut": None,
                    "wanted": self.wanted(site_id),
                }
            if chain["wanted"]:
                self.event(row, chain)
        if current is not None:
            self.finish(chain)
        for subject_id, (site_id, last_seq, _) in self.subjects.items():
            if subject_id in seen or not self.wanted(site_id):
                continue
            if last_seq:
                self.problem(site_id, f"subject {subject_id}: its chain is gone (head at seq {last_seq}, no events)")
            if self.states.get(subject_id):
                self.problem(site_id, f"subject {subject_id}: has consent states but no events")
            if any(body.get("decisions") or body.get("vendors") for _, body in self.receipts[subject_id].values()):
                self.problem(site_id, f"subject {subject_id}: has receipts but no events")
        self.subject_count = len(self.subjects)
        return self

    def wanted(self, site_id):
        return self.only_site is None or site_id == self.only_site

    def tombstones(self, chain, before_seq=None):
        """Link the tombstones of removed events (before `before_seq`) into the chain: their place
        and hashes are checked, their content is gone (retention, docs/retention.md)."""
        stones = chain["stones"]
        while stones and (before_seq is None or stones[0][1] < before_seq):
            _, seq, event_id, prev_hash, stone_hash, receipt_id = stones.pop(0)
            where = f"subject {chain['subject']}: removed event {event_id} (seq {seq})"
            if seq != chain["seq"] + 1:
                self.problem(chain["site"], f"{where}: expected seq {chain['seq'] + 1}")
            if prev_hash != chain["hash"]:
                self.problem(chain["site"], f"{where}: prev_hash does not link to the previous event")
            chain["seq"], chain["hash"] = seq, stone_hash
            if receipt_id:
                chain["compacted_receipts"].add(receipt_id)
            cut = self.cuts.get(chain["site"])
            if cut is not None and event_id <= cut:
                chain["cut"] = (seq, stone_hash)

    def event(self, row, chain):
        """Check one event against its chain; numbers may come as text (PostgreSQL) or ints."""
        site_id, subject_id = chain["site"], chain["subject"]
        event_id, seq = int(row[0]), int(row[3])
        if chain["stones"]:
            self.tombstones(chain, seq)
        self.events += 1
        expected = chain["seq"] + 1
        if seq != expected:
            self.problem(site_id, f"subject {subject_id}: event {event_id} (seq {seq}): expected seq {expected}")
        if row[18] != chain["hash"]:
            self.problem(
                site_id,
                f"subject {subject_id}: event {event_id} (seq {seq}): prev_hash does not link to the previous event",
            )
        if self.hash(row, chain["hash"]) != row[19]:
            where = f"subject {subject_id}: event {event_id} (seq {seq})"
            self.problem(site_id, f"{where}: content does not match its hash")
        chain["seq"], chain["hash"] = seq, row[19]
        vendor = row[5]
        vendor = None if vendor is None or vendor == "null" else int(vendor)
        purpose, version = int(row[4]), int(row[7])
        chain["latest"][(purpose, vendor)] = (event_id, row[6], version)
        if row[16]:
            chain["receipts"][row[16]].append((purpose, vendor, row[6], version))
        cut = self.cuts.get(site_id)
        if cut is not None and event_id <= cut:
            chain["cut"] = (seq, row[19])

    def finish(self, chain):
        site_id, subject_id = chain["site"], chain["subject"]
        if not chain["wanted"]:
            return
        self.tombstones(chain)
        head = self.subjects.get(subject_id)
        if head is None:
            self.problem(site_id, f"subject {subject_id}: events exist but the subject does not")
        elif (head[1], head[2]) != (chain["seq"], chain["hash"]):
            self.problem(
                site_id,
                f"subject {subject_id}: chain head (seq {head[1]}) does not match its last event (seq {chain['seq']})",
            )
        if chain["cut"] is not None:
            self.heads[site_id].add(subject_id, *chain["cut"])
        self.check_states(site_id, subject_id, chain["latest"])
        self.check_receipts(site_id, subject_id, chain["receipts"], chain["compacted_receipts"])

    def _label(self, purpose, vendor):
        name = repr(self.purposes.get(purpose, purpose))
        return f"purpose {name}" + (f" of vendor {self.vendors.get(vendor, vendor)!r}" if vendor else "")

    def check_states(self, site_id, subject_id, latest):
        current = self.states.get(subject_id, {})
        for key, (event_id, decision, version) in latest.items():
            state = current.get(key)
            if state is None:
                self.problem(site_id, f"subject {subject_id}: no current state for {self._label(*key)}")
            elif state != (decision, version, event_id):
                self.problem(
                    site_id,
                    f"subject {subject_id}: state of {self._label(*key)} ({state[0]} v{state[1]}) "
                    f"does not match its latest event {event_id} ({decision} v{version})",
                )
        for key in current.keys() - latest.keys():
            self.problem(site_id, f"subject {subject_id}: state of {self._label(*key)} has no event")

    def check_receipts(self, site_id, subject_id, by_receipt, compacted_receipts=frozenset()):
        """Each receipt against the events recorded with its id; where retention removed some of
        them, what remains must still be what the receipt says."""
        stored = self.receipts.get(subject_id, {})
        for receipt_id, entries in by_receipt.items():
            if receipt_id not in stored:
                self.problem(site_id, f"subject {subject_id}: events of receipt {receipt_id} but no receipt")
                continue
            decisions, vendors = {}, {}
            for purpose, vendor, decision, version in entries:
                entry = {"state": decision, "version": version}
                key = self.purposes.get(purpose)
                if vendor is None:
                    decisions[key] = entry
                else:
                    vendors.setdefault(self.vendors.get(vendor), {})[key] = entry
            _, body = stored[receipt_id]
            if receipt_id in compacted_receipts:
                signed, signed_vendors = body.get("decisions") or {}, body.get("vendors") or {}
                kept = all(signed.get(k) == v for k, v in decisions.items()) and all(
                    signed_vendors.get(vendor, {}).get(k) == v for vendor, d in vendors.items() for k, v in d.items()
                )
                if not kept:
                    self.problem(site_id, f"subject {subject_id}: receipt {receipt_id} does not match its events")
            elif body.get("decisions") != decisions or (body.get("vendors") or {}) != vendors:
                self.problem(site_id, f"subject {subject_id}: receipt {receipt_id} does not match its events")
        for receipt_id, (_, body) in stored.items():
            if receipt_id in compacted_receipts:
                continue
            if receipt_id not in by_receipt and (body.get("decisions") or body.get("vendors")):
                self.problem(site_id, f"subject {subject_id}: receipt {receipt_id} records decisions no event holds")


def _chain_task(bounds):
    """A range of subjects: certified by the fast pass (PostgreSQL), else read again in detail."""
    if connection.vendor == "postgresql":
        try:
            events, subject_count, heads = RangeCertifier(*bounds, _CONTEXT).run()
        except Doubt:
            pass
        else:
            return "chain", [], events, subject_count, heads, False
    check = _ChainCheck(*bounds).run()
    heads = {site_id: builder.done() for site_id, builder in check.heads.items()}
    return "chain", check.problems, check.events, check.subject_count, heads, True


def _merkle_task(task):
    """The bucket roots of every checkpointed site's events in one span of ids: read once for
    all sites (along the primary key), each site's rows up to its latest checkpoint."""
    after_id, upto_id = task
    rows = event_hash_window(after_id, upto_id)
    rows.sort(key=itemgetter(2))  # by site; stable, so each site's rows stay in id order
    found = {}
    for site_id, site_rows in groupby(rows, itemgetter(2)):
        cuts = _CONTEXT["merkle_cuts"].get(site_id)
        if not cuts:
            continue
        site_rows = list(site_rows)
        del site_rows[bisect_right(site_rows, cuts[-1], key=itemgetter(0)) :]
        buckets = EventBuckets(BUCKET_SIZE, [c for c in cuts if after_id < c <= upto_id])
        buckets.add(site_rows)
        found[site_id] = buckets.done()
    return "merkle", found


def _run(task):
    kind, args = task
    # A range makes many small tuples and lists that live until it ends: the cyclic collector
    # would walk them again and again (about 1 us per event) to free nothing. No cycles are
    # made here; what a range leaves is freed by reference counting when it ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _chain_task(args) if kind == "chain" else _merkle_task(args)
    finally:
        if collecting:
            gc.enable()


def _forget_inherited_connections():
    """In a forked worker: never use the parent's database sockets (closed before the fork; if
    one were not, two processes speaking on one socket would read each other's rows)."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _INHERITED.append(conn.connection)  # kept, not freed: freeing would end the parent's session
        conn.connection = None


def _worker_count(requested):
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1  # SQLite: one process; inside a transaction other processes would not see its rows
    count = requested or settings.LEDGER_VERIFY_WORKERS or os.cpu_count() or 1
    return max(1, count)


def _bounds(only_site=None):
    """The range of subject ids to read: of the subjects, and of the events (whose subject may be gone)."""
    where = " WHERE site_id = %s" if only_site else ""
    params = [only_site] if only_site else []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM consent_subject{where}", params)  # noqa: S608  (constant WHERE, value as parameter)
        subjects = cursor.fetchone()
        cursor.execute("SELECT min(subject_id), max(subject_id) FROM consent_consentevent")
        events = cursor.fetchone()
    lows = [v for v in (subjects[0], events[0]) if v is not None]
    highs = [v for v in (subjects[1], events[1]) if v is not None]
    return (min(lows) if lows else 0), (max(highs) if highs else 0)


def _tasks(checkpoints_by_site, only_site):
    low, high = _bounds(only_site)
    tasks = []
    start = (low // BUCKET_SIZE) * BUCKET_SIZE
    for lo in range(start, high + 1, BUCKET_SIZE):
        tasks.append(("chain", (max(lo, 1), lo + BUCKET_SIZE)))
    span = BUCKET_SIZE * MERKLE_TASK_BUCKETS
    last_cut = max((c.upto_event_id for cps in checkpoints_by_site.values() for c in cps), default=-1)
    for lo in range(0, last_cut + 1, span):
        tasks.append(("merkle", (lo - 1, min(lo + span - 1, last_cut))))
    return tasks


def _check_checkpoint_static(checkpoint, site_key, published, problems):
    """The signature, and the bucket roots against the signed roots."""
    label = f"checkpoint {checkpoint.pk} (up to event {checkpoint.upto_event_id})"
    if not keys.verify(payload(checkpoint, site_key), checkpoint.kid, checkpoint.signature, published):
        problems.append(Problem(site_key, f"{label}: signature does not verify (key {checkpoint.kid})"))
        return False
    for name, root, count in (
        ("events", checkpoint.events_root, checkpoint.event_count),
        ("heads", checkpoint.heads_root, checkpoint.head_count),
    ):
        buckets = decode_buckets((checkpoint.buckets or {}).get(name, {}))
        if buckets_root(buckets).hex() != root or sum(c for c, _ in buckets.values()) != count:
            problems.append(Problem(site_key, f"{label}: its {name} buckets do not match its signed root"))
            return False
    return True


def _compare_buckets(signed, found, size, what, label, site_key, problems):
    for bucket in sorted(signed.keys() | found.keys()):
        want, have = signed.get(bucket, (0, b"")), found.get(bucket, (0, b""))
        if want != have:
            first, last = bucket * size, (bucket + 1) * size - 1
            change = "were removed or added" if want[0] != have[0] else "were changed or re-hashed"
            problems.append(
                Problem(
                    site_key,
                    f"{label}: {what} with ids {first}-{last} {change} (signed {want[0]}, found {have[0]})",
                )
            )


def _read_checkpoints(report, sites, only_site, published):
    """Each checkpoint's signature, bucket roots and link to the one before it; returns
    ({site id: [checkpoints that verify, in chain order]}, {checkpoint id: (site key, signature)})."""
    checkpoints = LedgerCheckpoint.objects.order_by("site_id", "id")  # the order they were chained in
    if only_site:
        checkpoints = checkpoints.filter(site_id=only_site)
    by_site, previous, stored = defaultdict(list), {}, {}
    for checkpoint in checkpoints:
        report.checkpoints += 1
        site_key = sites[checkpoint.site_id]
        stored[checkpoint.pk] = (site_key, checkpoint.signature)
        if _check_checkpoint_static(checkpoint, site_key, published, report.problems):
            by_site[checkpoint.site_id].append(checkpoint)
            if checkpoint.previous != link(previous.get(checkpoint.site_id)):
                report.problems.append(
                    Problem(site_key, f"checkpoint {checkpoint.pk}: the checkpoint before it is missing or changed")
                )
        previous[checkpoint.site_id] = checkpoint
    return by_site, stored


def verify_ledger(site=None, workers=None, copy=None):
    """Verify the whole ledger (or one site's part of it); returns a Report.

    `copy`: the entries of a copy of the checkpoints kept outside the database
    (`copies.parse_copy`), each of which must still be in the database, unchanged."""
    started = time.monotonic()
    report = Report()
    sites = dict(Site.objects.values_list("id", "key"))
    only_site = site.pk if site is not None else None
    published = keys.public_keys()
    by_site, stored = _read_checkpoints(report, sites, only_site, published)
    _CONTEXT.update(
        sites=sites,
        only_site=only_site,
        head_cuts={site_id: cps[-1].upto_event_id for site_id, cps in by_site.items()},
        merkle_cuts={site_id: sorted({c.upto_event_id for c in cps}) for site_id, cps in by_site.items()},
        purposes=dict(Purpose.objects.values_list("id", "key")),
        vendors=dict(Vendor.objects.values_list("id", "key")),
    )
    tasks = _tasks(by_site, only_site)
    report.workers = _worker_count(workers)
    if report.workers > 1:
        connections.close_all()
        with multiprocessing.get_context("fork").Pool(report.workers, _forget_inherited_connections) as pool:
            results = list(pool.imap_unordered(_run, tasks))
    else:
        results = [_run(task) for task in tasks]
    full, partial, heads = defaultdict(dict), defaultdict(dict), defaultdict(dict)
    for result in results:
        if result[0] == "chain":
            _, problems, events, subject_count, found_heads, detailed = result
            report.detailed_ranges += detailed
            report.problems.extend(problems)
            report.events += events
            report.subjects += subject_count
            for site_id, buckets in found_heads.items():
                heads[site_id].update(buckets)
        else:
            for site_id, (found_full, found_partial) in result[1].items():
                full[site_id].update(found_full)
                partial[site_id].update(found_partial)
    for site_id, cps in by_site.items():
        site_key = sites[site_id]
        for checkpoint in cps:
            cut = checkpoint.upto_event_id
            found = {b: root for b, root in full[site_id].items() if b < cut // BUCKET_SIZE}
            found.update(partial[site_id].get(cut, {}))
            label = f"checkpoint {checkpoint.pk} (up to event {cut})"
            signed = decode_buckets(checkpoint.buckets["events"])
            _compare_buckets(signed, found, BUCKET_SIZE, "events", label, site_key, report.problems)
        latest = cps[-1]
        signed = decode_buckets(latest.buckets["heads"])
        label = f"checkpoint {latest.pk} (up to event {latest.upto_event_id})"
        what = "chain heads of subjects"
        _compare_buckets(signed, heads[site_id], BUCKET_SIZE, what, label, site_key, report.problems)
    for site_key, what in check_compactions(sites, only_site, published):
        report.problems.append(Problem(site_key, what))
    if copy is not None:
        only_key = sites[only_site] if only_site else None
        for site_key, what in check_copy(copy, stored, published, only_key):
            report.problems.append(Problem(site_key, what))
    for site_id, key in sites.items():
        if (only_site is None or site_id == only_site) and site_id not in by_site:
            report.notes.append(f"site {key}: no checkpoint yet (run checkpoint_ledger)")
    report.seconds = time.monotonic() - started
    return report
