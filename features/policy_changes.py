"""Website notice of policy changes: during the notice period (published, not yet in effect) a
material change is announced by the banner and the preference centre, each linking to a page
that shows what changes against the version before it."""

import difflib

from consent.models import PolicyVersion


def published_version(site, version):
    return PolicyVersion.objects.filter(site=site, version=version, published_at__isnull=False).first()


def previous_version(policy):
    """The published version of the same kind just before `policy`, or None for the first."""
    return (
        PolicyVersion.objects.filter(
            site_id=policy.site_id, kind=policy.kind, published_at__isnull=False, version__lt=policy.version
        )
        .order_by("-version")
        .first()
    )


def differences(old_text, new_text):
    """Line by line: [(kind, line)] with kind "same", "added" or "removed"."""
    rows = []
    old_lines, new_lines = (old_text or "").splitlines(), (new_text or "").splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(("same", line) for line in old_lines[a1:a2])
        else:
            rows.extend(("removed", line) for line in old_lines[a1:a2])
            rows.extend(("added", line) for line in new_lines[b1:b2])
    return rows
