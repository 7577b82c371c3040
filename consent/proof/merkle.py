"""Merkle trees as in RFC 6962 (Certificate Transparency): leaves and nodes hashed with distinct
prefixes, so that a leaf can never pass for a node; streamed, so memory stays O(log n).

Leaves here are fixed-size records packed by the callers (event id and hash; subject id, seq and
head hash; bucket number, count and bucket root). The root of no leaves is SHA-256 of nothing.
"""

import hashlib
import struct

EMPTY_ROOT = hashlib.sha256(b"").digest()

_EVENT = struct.Struct(">Q32s")
_HEAD = struct.Struct(">QQ32s")
_BUCKET = struct.Struct(">QQ32s")
_EVENT_LEAF = struct.Struct(">BQ32s")  # the leaf prefix and an event leaf, packed at once
_HEAD_LEAF = struct.Struct(">BQQ32s")


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf(event_id, event_hash_hex):
    return leaf_hash(_EVENT.pack(event_id, bytes.fromhex(event_hash_hex)))


def head_leaf(subject_id, seq, head_hash_hex):
    return leaf_hash(_HEAD.pack(subject_id, seq, bytes.fromhex(head_hash_hex)))


def bucket_leaf(bucket, count, root):
    return leaf_hash(_BUCKET.pack(bucket, count, root))


class TreeBuilder:
    """Add leaf hashes in order; `root()` is the RFC 6962 Merkle tree hash of all of them.

    Keeps one complete subtree per set bit of the count (a Merkle mountain range); the RFC's
    tree of n leaves is those subtrees folded from the right.
    """

    __slots__ = ("_stack", "count")

    def __init__(self):
        self._stack = []  # (size, hash), sizes strictly decreasing powers of two
        self.count = 0

    def add(self, leaf):
        size, node = 1, leaf
        stack = self._stack
        while stack and stack[-1][0] == size:
            node = node_hash(stack.pop()[1], node)
            size *= 2
        stack.append((size, node))
        self.count += 1

    def root(self):
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def event_leaves(rows):
    """`event_leaf` of each row (event id, hash hex, anything else), in one pass."""
    pack, fromhex = _EVENT_LEAF.pack, bytes.fromhex
    return [hashlib.sha256(pack(0, row[0], fromhex(row[1]))).digest() for row in rows]


def head_leaves(rows):
    """`head_leaf` of each (subject id, seq, hash hex) row, in one pass."""
    pack, fromhex = _HEAD_LEAF.pack, bytes.fromhex
    return [hashlib.sha256(pack(0, subject_id, seq, fromhex(digest))).digest() for subject_id, seq, digest in rows]


def merkle_root(leaves):
    """The RFC 6962 Merkle tree hash of a list of leaf hashes, computed a level at a time: pairs
    from the left, an odd last node carried up as it is. That is the RFC's tree (split at the
    largest power of two below n): the left part is always a complete subtree, so its pairs are
    the same, and the carried node is the right part's subtree. Same root as `TreeBuilder`."""
    if not leaves:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    level = leaves
    while len(level) > 1:
        odd = len(level) % 2
        pairs = zip(level[0 : len(level) - odd : 2], level[1::2], strict=True)
        level = [sha256(b"\x01" + left + right).digest() for left, right in pairs] + level[len(level) - odd :]
    return level[0]


def tree_root(leaves):
    """Reference RFC 6962 MTH over a list of leaf hashes (recursive; for tests and small lists)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def buckets_root(buckets):
    """Root over {bucket number: (count, root)} in bucket order: the signed summary of a tree
    split into id ranges, so that a mismatch can be traced to the range that changed."""
    builder = TreeBuilder()
    for bucket in sorted(buckets):
        count, root = buckets[bucket]
        builder.add(bucket_leaf(bucket, count, root))
    return builder.root()
