"""A copy of the signed checkpoints kept outside the database (a file on other storage, a
write-once bucket, a log shipped elsewhere). Each checkpoint names the one before it, so a
deleted or changed checkpoint shows in the database alone, except the newest: none names it.
Whoever owns the database could delete it and then rewrite what it covered unnoticed; against
a copy held elsewhere that deletion shows.

`checkpoint_ledger --copy FILE` appends a line per checkpoint the file does not hold yet (so a
run that could not write, or a copy started late, catches up): its signed statement, key id and
signature (not its bucket roots: a few hundred bytes). `verify_ledger --copy FILE` checks
each line's signature with the ledger's public keys (a line the ledger did not sign proves
nothing) and that the database still holds that checkpoint with that same signature.
"""

import json
import os

from consent.models import LedgerCheckpoint
from consent.proof import keys
from consent.proof.checkpoints import PAYLOAD_TYPE, payload


class CopyError(ValueError):
    """A line of the copy that is not a checkpoint's copy."""


def copy_line(checkpoint, site_key):
    """The line kept for `checkpoint` (JSON, no newline)."""
    entry = {
        "checkpoint": checkpoint.pk,
        "signed": payload(checkpoint, site_key),
        "kid": checkpoint.kid,
        "signature": checkpoint.signature,
    }
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_copy(lines):
    """[(line number, entry)] of a copy's lines (blank lines skipped); CopyError names the first
    line that is not a checkpoint's copy."""
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise CopyError(f"line {number} is not JSON ({exc.msg})") from exc
        signed = entry.get("signed") if isinstance(entry, dict) else None
        if (
            not isinstance(signed, dict)
            or signed.get("type") != PAYLOAD_TYPE
            or not isinstance(entry.get("checkpoint"), int)
            or not all(isinstance(entry.get(name), str) for name in ("kid", "signature"))
        ):
            raise CopyError(f"line {number} is not a checkpoint's copy (checkpoint, signed, kid, signature)")
        entries.append((number, entry))
    return entries


def append_missing(path, sites=None):
    """Append to the copy at `path` every checkpoint (of `sites`, or of all) that it does not hold
    yet, in the order they were made, and sync it to disk. Returns how many were appended; raises
    OSError or CopyError (an unreadable copy: nothing is appended)."""
    held = set()
    try:
        with open(path, encoding="utf-8") as lines:
            held = {entry["checkpoint"] for _, entry in parse_copy(lines)}
    except FileNotFoundError:
        pass
    checkpoints = LedgerCheckpoint.objects.select_related("site").defer("buckets").order_by("id")
    if sites is not None:
        checkpoints = checkpoints.filter(site__in=sites)
    lines = [copy_line(c, c.site.key) for c in checkpoints.iterator() if c.pk not in held]
    if lines:
        with open(path, "a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
    return len(lines)


def check_copy(entries, stored, published, only_site=None):
    """Problems as (site key, what) for the copy's `entries` (from `parse_copy`) against the
    checkpoints `stored` in the database ({id: (site key, signature)}); `only_site`: a site key
    to limit the check to."""
    problems = []
    for number, entry in entries:
        signed = entry["signed"]
        site_key = str(signed.get("site"))
        if only_site is not None and site_key != only_site:
            continue
        label = (
            f"checkpoint {entry['checkpoint']} (up to event {signed.get('upto_event_id')}) of the copy, line {number}"
        )
        if not keys.verify(signed, entry["kid"], entry["signature"], published):
            problems.append((site_key, f"{label}: not signed by the ledger's keys"))
            continue
        found = stored.get(entry["checkpoint"])
        if found is None:
            problems.append((site_key, f"{label}: missing from the database (deleted)"))
        elif found != (site_key, entry["signature"]):
            problems.append((site_key, f"{label}: the database holds another checkpoint under this id"))
    return problems
