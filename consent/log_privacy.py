"""Keep personal data out of logs: subject references and signed tokens are redacted.

Request paths name subjects (`/api/v1/subjects/<ref>/...`), links carry signed tokens
(`/u/<token>/`, `?link=`) and console searches carry emails (`?q=`). Django logs the path of
every failed request ("Internal Server Error: /api/v1/subjects/user-42/consents") with its
traceback, and an exception's message can repeat what it was given. The filter rewrites the
message and the formatted traceback of every record before any handler writes it. It imports
nothing from the apps, because logging is configured before they load.
"""

import logging
import re

REDACTED = "[redacted]"

_PATTERNS = [
    # A subject reference in an API path.
    (re.compile(r"(/api/v1/subjects/)[^/\s?#'\"]+"), r"\1" + REDACTED),
    # Signed links: one-click unsubscribe, notice acknowledgement, SMS opt-out, double opt-in.
    (re.compile(r"(/(?:u|notices|s|confirm)/)[^/\s?#'\"]+"), r"\1" + REDACTED),
    # Query parameters that carry tokens, references or emails.
    (
        re.compile(r"([?&](?:link|token|subject|subject_token|visitor_id|ref|q|email)=)[^&\s#'\"]*", re.IGNORECASE),
        r"\1" + REDACTED,
    ),
    # Django signing tokens (payload[:timestamp]:signature), wherever they appear.
    (re.compile(r"\.?[A-Za-z0-9_\-]{8,}(?::[A-Za-z0-9_\-]{4,})?:[A-Za-z0-9_\-]{20,}"), REDACTED),
    # Subject tokens of the sites' back ends (base64 body "." hex HMAC-SHA256).
    (re.compile(r"[A-Za-z0-9_\-]{8,}\.[0-9a-f]{64}"), REDACTED),
    # Email addresses.
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), REDACTED),
]


_SUBJECT_IN_PATH = re.compile(r"^/api/v1/subjects/([^/]+)")
_TOKEN_IN_PATH = re.compile(r"^/(?:u|notices|s|confirm)/([^/]+)")
_SENSITIVE_PARAMS = ("link", "token", "subject", "subject_token", "visitor_id", "ref", "q", "email")


def _request_secrets(request):
    """The literal references and tokens of a failed request, to be removed wherever an exception
    message or a traceback repeats them (the patterns alone cannot know an arbitrary user id)."""
    found = []
    path = getattr(request, "path", "") or ""
    for pattern in (_SUBJECT_IN_PATH, _TOKEN_IN_PATH):
        match = pattern.match(path)
        if match:
            found.append(match.group(1))
    query = getattr(request, "GET", None)
    if query is not None:
        for name in _SENSITIVE_PARAMS:
            found.extend(query.getlist(name))
    # Longest first, and only values long enough not to eat ordinary words.
    return sorted({value for value in found if isinstance(value, str) and len(value) >= 3}, key=len, reverse=True)


def redact(text, secrets=()):
    """The text with every subject reference, token and email replaced."""
    for value in secrets:
        text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPersonalData(logging.Filter):
    """A handler filter: formats the record's message and traceback once, redacted."""

    _formatter = logging.Formatter()

    def filter(self, record):
        secrets = _request_secrets(getattr(record, "request", None))
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = redact(message, secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True
