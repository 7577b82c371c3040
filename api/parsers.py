"""A JSON parser that turns every malformed body into a 400 instead of a crash deeper down."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _check_string(text):
    if "\x00" in text:
        raise ParseError("Strings must not contain NUL characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError("Strings must be valid Unicode (no lone surrogate escapes).") from None


def _reject_unstorable(data):
    """Refuse strings the database or the UTF-8 encoder cannot take: NUL and lone surrogates."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_string(key)
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)


class SafeJSONParser(JSONParser):
    """DRF's strict JSON parser, plus: deep nesting, NUL and lone surrogates are 400s too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        _reject_unstorable(data)
        return data


def dumps(data):
    """Compact JSON, the same bytes for the same data (used for ETags)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
