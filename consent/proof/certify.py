"""The fast pass of `verify_ledger` over one range of subjects (PostgreSQL): it either certifies
that the detailed pass (`verify._ChainCheck`) would find nothing wrong in the range, and returns
what that pass returns (events, subjects, chain heads at the checkpoints' cut), or it has a doubt,
and the detailed pass reads the range again and names what broke.

So it must never certify a range the detailed pass would fault, and may doubt anything unusual
(an escaped character, an odd time, a duplicate row): doubting only costs time. It recomputes
every event's hash itself, from the stored fields, as the detailed pass does; PostgreSQL only
reads and prints rows, it computes no hash and no verdict. The differences are in the reading:

- Events come as raw COPY text lines, split once; ids and numbers stay the text PostgreSQL prints,
  which is already their JSON. The canonical JSON of an event is built as bytes: the part a
  request's events share (all but seq, purpose, vendor, decision, version and the previous hash)
  once per request, and what several requests share (versions, method, place, language, address,
  evidence) once per task.
- States, chain heads and receipts are compared whole: the lines the events imply against the
  lines stored, as sets, instead of one look-up per subject. Each stored state and head is one
  COPY line; each receipt's decisions are compared as the text PostgreSQL prints for them
  (jsonb: keys by length then bytes, ", " and ": "), rendered from the events once per distinct
  set of decisions; text that differs is parsed and compared as the detailed pass does.
"""

import json
import re
from contextlib import closing
from hashlib import sha256
from itertools import groupby
from json.encoder import encode_basestring
from operator import itemgetter

from consent.proof.checkpoints import HeadBuckets
from consent.proof.streams import compacted, copy_lines

NULL = b"\\N"  # COPY's NULL
MEMO_LIMIT = 4096  # renderings kept per task; beyond it the memo starts again (memory stays flat)

# Columns in the order the reader splits them: the state a row implies is its first six fields
# (subject, purpose, vendor, decision, version, id); the request's shared fields come last.
_EVENTS = (
    "SELECT subject_id, purpose_id, vendor_id, decision, version, id, seq, prev_hash, hash, receipt_id, "
    "recorded_at AT TIME ZONE 'UTC', site_id, user_agent, banner_version, policy_version, method, jurisdiction, "
    "language, ip, evidence FROM consent_consentevent WHERE subject_id >= %s AND subject_id < %s "
    "ORDER BY subject_id, seq"
)
_STATES = (
    "SELECT subject_id, purpose_id, vendor_id, state, version, event_id FROM consent_consentstate "
    "WHERE subject_id >= %s AND subject_id < %s"
)
_HEADS = "SELECT id, last_seq, last_hash FROM consent_subject WHERE id >= %s AND id < %s"
_RECEIPTS = (
    "SELECT subject_id, receipt_id, body->'decisions', body->'vendors' FROM consent_decisionreceipt "
    "WHERE subject_id >= %s AND subject_id < %s"
)

_TIME = re.compile(rb"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\n?")
_HEX = re.compile(r"[0-9a-f]*")
_COPY_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_COPY_ESCAPE = re.compile(rb"\\(.)")
_EMPTY = (NULL, b"{}")


class Doubt(Exception):
    """The range needs the detailed pass."""


def _unescape(field):
    """A COPY text field as the value it stands for (str)."""
    if field == NULL:
        raise Doubt("NULL where the ledger has none")
    if b"\\" in field:
        field = _COPY_ESCAPE.sub(lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), field)
    return field.decode()


def _string(field):
    """The JSON of a text field, as `encode_basestring` writes it (the chain hash's encoding)."""
    return encode_basestring(_unescape(field)).encode()


def _number(field):
    return b"null" if field == NULL else field  # PostgreSQL prints integers as JSON writes them


def _evidence(field):
    text = _unescape(field)
    if text == "{}":
        return b"{}"
    value = json.loads(text)
    return json.dumps(value or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _time(field):
    """`canonical_time` of `recorded_at AT TIME ZONE 'UTC'` as PostgreSQL prints it (DateStyle ISO)."""
    match = _TIME.fullmatch(field)
    if match is None:
        raise Doubt("a time in an unexpected form")
    day, clock, fraction = match.groups()
    return b"%sT%s.%s+00:00" % (day, clock, (fraction or b"").ljust(6, b"0"))


class _Quoted(dict):
    """JSON of the decisions seen (a handful of words), computed once each."""

    def __missing__(self, field):
        self[field] = value = _string(field)
        return value


def _jsonb_key(key):
    data = key.encode()
    return len(data), data


def _as_dicts(named):
    """The decisions and vendors' decisions the detailed pass builds from a receipt's events."""
    decisions, vendors = {}, {}
    for key, vendor, decision, version in named:
        entry = {"state": decision, "version": version}
        if vendor is None:
            decisions[key] = entry
        else:
            vendors.setdefault(vendor, {})[key] = entry
    return decisions, vendors


def _jsonb(value):
    """`value` (dicts, strings, ints) as PostgreSQL prints jsonb: keys by length then bytes."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: (len(item[0].encode()), item[0].encode()))
        return "{" + ", ".join(f"{encode_basestring(k)}: {_jsonb(v)}" for k, v in items) + "}"
    return encode_basestring(value) if isinstance(value, str) else str(int(value))


def _render(named):
    """The COPY text of `body->'decisions'` and `body->'vendors'` of the receipt of these events
    (vendors None when there are none: the detailed pass then wants no vendors' decisions)."""
    decisions, vendors = _as_dicts(named)
    texts = _jsonb(decisions), _jsonb(vendors) if vendors else None
    return tuple(None if t is None else t.encode().replace(b"\\", b"\\\\") for t in texts)


def _json_field(field):
    return None if field == NULL else json.loads(_unescape(field))


def _kept(named, decisions_text, vendors_text):
    """The detailed pass's check of a receipt some of whose events retention removed: what
    remains is still what the receipt says."""
    decisions, vendors = _as_dicts(named)
    signed, signed_vendors = _json_field(decisions_text) or {}, _json_field(vendors_text) or {}
    if not isinstance(signed, dict) or not isinstance(signed_vendors, dict):
        raise Doubt("a receipt of an unexpected shape")
    for vendor in vendors:
        if not isinstance(signed_vendors.get(vendor, {}), dict):
            raise Doubt("a receipt of an unexpected shape")
    return all(signed.get(k) == v for k, v in decisions.items()) and all(
        signed_vendors.get(vendor, {}).get(k) == v for vendor, d in vendors.items() for k, v in d.items()
    )


class RangeCertifier:
    """Certify subjects lo <= id < hi: `run()` returns (events, subjects, {site: head buckets}) as
    `verify._chain_task` would, or raises Doubt."""

    def __init__(self, lo, hi, context):
        self.lo, self.hi = lo, hi
        only = context["only_site"]
        self.only_site = None if only is None else str(only).encode()
        self.cuts = {str(site).encode(): cut for site, cut in context["head_cuts"].items()}
        self.purposes = {str(k).encode(): v for k, v in context["purposes"].items()}
        self.vendors = {str(k).encode(): v for k, v in context["vendors"].items()}
        self.common, self.agents, self.rendered = {}, {}, {}
        self.cut_heads = []
        self.want_heads, self.want_states, self.want_receipts = set(), set(), {}
        self.compacted_receipts = {}

    def run(self):
        lo, hi = self.lo, self.hi
        heads = list(copy_lines(_HEADS, [lo, hi]))
        states = list(copy_lines(_STATES, [lo, hi]))
        receipts = list(copy_lines(_RECEIPTS, [lo, hi]))
        self.stones = {}
        for stone in compacted(lo, hi):
            self.stones.setdefault(str(stone[0]).encode(), []).append(stone)
        with closing(copy_lines(_EVENTS, [lo, hi])) as lines:
            events = self._events(lines)
        if self.stones:
            raise Doubt("tombstones of a subject without events")
        self._compare_heads(heads)
        got = {line[:-1] for line in states}
        if len(got) != len(states) or got != self.want_states:
            raise Doubt("states differ from the latest events")
        self._compare_receipts(receipts)
        return events, len(heads), self._head_buckets()

    def _events(self, lines):  # noqa: C901  (one loop on purpose: it runs once per event)
        quoted = _Quoted()
        request = self._request
        finish = self._finish
        events = counted = last = 0
        subject = site = shared_now = cut_head = stones = None
        chain_hash, latest, by_receipt = b"", {}, {}
        for line in lines:
            subject_f, purpose, vendor, decision, version, event_id, seq, prev, digest, shared = line.split(b"\t", 9)
            if subject_f != subject:
                if subject is not None:
                    events += finish(subject, site, last, chain_hash, latest, by_receipt, cut_head, stones, counted)
                subject, site, shared_now, counted = subject_f, None, None, 0
                last, chain_hash, latest, by_receipt, cut_head = 0, b"", {}, {}, None
                stones = self.stones.pop(subject, None)
            if shared != shared_now:
                shared_now = shared
                head, middle, after, tail, site_f, receipt = request(subject, shared)
                if site is None:
                    site, cut = site_f, self.cuts.get(site_f)
                entries = None if receipt is None else by_receipt.setdefault(receipt, [])
            number = int(seq)
            if stones:
                last, chain_hash, cut_head = self._link_stones(subject, stones, number, last, chain_hash, cut, cut_head)
            if number != last + 1 or prev != chain_hash:
                raise Doubt("a chain does not link")
            text = b"".join(
                (head, quoted[decision], middle, prev, b'","purpose":', purpose, after, seq, tail,
                 b"null" if vendor == NULL else vendor, b',"version":', version, b"}")
            )  # fmt: skip
            if sha256(text).hexdigest().encode() != digest:
                raise Doubt("an event does not match its hash")
            last, chain_hash, counted = number, digest, counted + 1
            # The state this event implies is the line's first six fields (the stored state's line).
            latest[purpose, vendor] = line[: len(line) - len(shared) - len(seq) - len(prev) - len(digest) - 4]
            if entries is not None:
                entries.append((purpose, vendor, decision, version))
            if cut is not None and int(event_id) <= cut:
                cut_head = (number, digest)
        if subject is not None:
            events += finish(subject, site, last, chain_hash, latest, by_receipt, cut_head, stones, counted)
        return events

    def _request(self, subject, shared):
        """The parts of the canonical JSON an event shares with the rest of its request."""
        receipt, at, site, agent, rest = shared.split(b"\t", 4)
        common = self.common.get(rest)
        if common is None:
            banner_version, policy_version, method, jurisdiction, language, ip, evidence = rest.split(b"\t")
            common = (
                b'{"banner_version":%s,"decision":' % _number(banner_version),
                b',"evidence":%s,"ip":%s,"jurisdiction":%s,"language":%s,"method":%s,"policy_version":%s,"prev":"'
                % (
                    _evidence(evidence.removesuffix(b"\n")),
                    _string(ip),
                    _string(jurisdiction),
                    _string(language),
                    _string(method),
                    _number(policy_version),
                ),
            )
            if len(self.common) >= MEMO_LIMIT:
                self.common.clear()
            self.common[rest] = common
        agent_json = self.agents.get(agent)
        if agent_json is None:
            if len(self.agents) >= MEMO_LIMIT:
                self.agents.clear()
            agent_json = self.agents[agent] = _string(agent)
        if site == NULL:
            raise Doubt("an event without a site")
        receipt = None if receipt == NULL else receipt  # a UUID as PostgreSQL prints it: nothing to escape
        after = b',"receipt_id":%s,"recorded_at":"%s","seq":' % (
            b"null" if receipt is None else b'"%s"' % receipt,
            _time(at),
        )
        tail = b',"site":%s,"subject":%s,"user_agent":%s,"vendor":' % (site, subject, agent_json)
        return common[0], common[1], after, tail, site, receipt

    def _link_stones(self, subject, stones, before_seq, last, chain_hash, cut, cut_head):
        """Tombstones of removed events before `before_seq` (None: all that are left), as the
        detailed pass links them."""
        while stones and (before_seq is None or stones[0][1] < before_seq):
            _, seq, event_id, prev_hash, stone_hash, receipt_id = stones.pop(0)
            if seq != last + 1 or prev_hash.encode() != chain_hash or not _HEX.fullmatch(stone_hash):
                raise Doubt("a tombstone does not link")
            last, chain_hash = seq, stone_hash.encode()
            if receipt_id:
                self.compacted_receipts.setdefault(subject, set()).add(receipt_id.encode())
            if cut is not None and event_id <= cut:
                cut_head = (seq, chain_hash)
        return last, chain_hash, cut_head

    def _finish(self, subject, site, last, chain_hash, latest, by_receipt, cut_head, stones, counted):
        """What one subject's chain implies; returns its events counted as the detailed pass counts."""
        if stones:
            cut = self.cuts.get(site)
            last, chain_hash, cut_head = self._link_stones(subject, stones, None, last, chain_hash, cut, cut_head)
        self.want_heads.add(b"%s\t%d\t%s\n" % (subject, last, chain_hash))
        self.want_states.update(latest.values())
        if by_receipt:
            for receipt, entries in by_receipt.items():
                self.want_receipts[subject + b"\t" + receipt] = entries
        if self.only_site is not None and site != self.only_site:
            return 0
        if cut_head is not None:
            self.cut_heads.append((site, subject, *cut_head))
        return counted

    def _compare_heads(self, heads):
        got = set(heads)
        ids = [line.split(b"\t", 1)[0] for line in heads]
        if len(got) != len(heads) or len(set(ids)) != len(ids) or not self.want_heads <= got:
            raise Doubt("chain heads differ from the chains")
        leftover = got - self.want_heads
        if leftover:
            seen = {line.split(b"\t", 1)[0] for line in self.want_heads}
            for line in leftover:
                subject, last, _ = line.split(b"\t")
                if subject in seen or last != b"0":
                    raise Doubt("a subject's head has no chain")

    def _head_buckets(self):
        """The chain heads at each site's latest checkpoint, rooted per bucket of subjects."""
        found = {}
        for site, rows in groupby(sorted(self.cut_heads, key=itemgetter(0)), itemgetter(0)):
            builder = HeadBuckets()
            for _, subject, seq, digest in rows:
                builder.add(int(subject), seq, digest.decode())
            found[int(site)] = builder.done()
        return found

    def _named(self, entries):
        named = []
        for purpose, vendor, decision, version in entries:
            name = self.purposes.get(purpose)
            vendor_name = None if vendor == NULL else self.vendors.get(vendor)
            if name is None or (vendor != NULL and vendor_name is None):
                raise Doubt("an event of an unknown purpose or vendor")
            named.append((name, vendor_name, _unescape(decision), int(version)))
        return named

    def _rendered(self, entries):
        key = tuple(entries)
        texts = self.rendered.get(key)
        if texts is None:
            if len(self.rendered) >= MEMO_LIMIT:
                self.rendered.clear()
            decisions, vendors = _render(self._named(entries))
            line = b"\t%s\t%s\n" % (decisions, NULL if vendors is None else vendors)
            texts = self.rendered[key] = (decisions, vendors, line)
        return texts

    def _compare_receipts(self, lines):
        got = set(lines)
        if len(got) == len(lines) and not self.compacted_receipts:
            want = {key + self._rendered(entries)[2] for key, entries in self.want_receipts.items()}
            if got == want:
                return  # the usual case: every receipt is the very text its events imply
        receipts = {line.rsplit(b"\t", 2)[0]: line for line in lines}
        if len(receipts) != len(lines):
            raise Doubt("a subject has two receipts with one id")  # the detailed pass would keep either
        for key, entries in self.want_receipts.items():
            line = receipts.pop(key, None)
            if line is None:
                raise Doubt("events of a receipt that is not stored")
            want_decisions, want_vendors, want_line = self._rendered(entries)
            if line[len(key) :] == want_line:
                continue  # the usual case: the very text the events imply, vendors absent or equal
            subject, receipt, decisions, vendors = line.split(b"\t")
            vendors = vendors.removesuffix(b"\n")
            if receipt in self.compacted_receipts.get(subject, ()):
                if not _kept(self._named(entries), decisions, vendors):
                    raise Doubt("a compacted receipt differs from its events")
                continue
            vendors_match = vendors in _EMPTY if want_vendors is None else vendors == want_vendors
            if decisions != want_decisions or not vendors_match:
                raise Doubt("a receipt differs from its events")
        for line in receipts.values():
            subject, receipt, decisions, vendors = line.split(b"\t")
            if receipt in self.compacted_receipts.get(subject, ()):
                continue
            if decisions not in _EMPTY or vendors.removesuffix(b"\n") not in _EMPTY:
                raise Doubt("a receipt records decisions no event holds")
