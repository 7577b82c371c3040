"""Reading py-spy's collapsed stacks: own and cumulative time per function, share per layer."""

import collections
from pathlib import Path

# Layers of a request, innermost first: a sample counts for the innermost one on its stack.
LAYERS = [
    ("database driver: building, sending, reading a statement", "CursorWrapper.execute "),
    ("database connection: cursor, checks", "BaseDatabaseWrapper.cursor "),
    ("database connection: checks after the response", "close_old_connections "),
    ("ledger services (chain, hashes, receipt)", "record_decision "),
    ("view: body, validation, answer", ".post ("),
    ("view: body, validation, answer", "SiteDecisionsView.record "),
    ("view: its own dispatch (throttle, body, JSON answer, errors)", "LeanPublicView.dispatch "),
    ("DRF: request, auth, throttle, negotiation, render", "APIView.dispatch "),
    ("Django handler and middleware", "WSGIHandler.__call__ "),
]


def summarise_stacks(path, top):
    """Own and cumulative share of samples per function from py-spy's collapsed stacks, and
    the share of each layer of the request (the rest: gunicorn, HTTP and its threads)."""
    own, cumulative, total = collections.Counter(), collections.Counter(), 0
    layers = collections.Counter()
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        count = int(count)
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            cumulative[frame] += count
        layer = "gunicorn: HTTP parsing, writing, threads"
        for frame in reversed(frames):
            layer = next((name for name, mark in LAYERS if mark in frame), None) or layer
            if layer != "gunicorn: HTTP parsing, writing, threads":
                break
        layers[layer] += count
    lines = [f"samples: {total}", "layers (innermost on the stack):"]
    lines += [f"  {100 * c / total:5.1f}%  {name}" for name, c in layers.most_common()]
    lines.append("own time:")
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(top)]
    lines.append("cumulative:")
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in cumulative.most_common(top * 2)]
    return "\n".join(lines)
