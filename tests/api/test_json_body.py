"""`json_body` (the banner decision's body, read without DRF's request) gives what DRF's
`request.data` with `SafeJSONParser` gives: the same data, or the same error, for every body."""

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.request import Request

from api.parsers import SafeJSONParser, json_body
from consent.exceptions import ConsentError

BODIES = [
    (b"", "application/json"),
    (b"", ""),
    (b"{}", "application/json"),
    (b'{"a": [1, 2.5, null, true], "b": {"c": "d\\u00e9"}}', "application/json"),
    (b'{"a": 1}', "application/json; charset=utf-8"),
    ('{"a": "é"}'.encode("latin-1"), "application/json; charset=latin-1"),
    ('{"a": "é"}'.encode("latin-1"), "application/json"),
    (b'{"a": 1}', "application/json; charset=no-such-charset"),
    (b'{"a": 1}', "text/plain"),
    (b'{"a": 1}', ""),
    (b'{"a": 1}', "application/*"),
    (b'{"a": 1}', "APPLICATION/JSON"),
    (b"[1, 2]", "application/json"),
    (b'"text"', "application/json"),
    (b"{bad json", "application/json"),
    (b'{"a": NaN}', "application/json"),
    (b'{"a": Infinity}', "application/json"),
    (b'{"a": "\\u0000"}', "application/json"),
    (b'{"a\\u0007": 1}', "application/json"),
    (b'{"a": "\\ud800"}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b"\xff\xfe", "application/json"),
]


def _outcome(read):
    try:
        return ("data", read())
    except (ParseError, UnsupportedMediaType, ConsentError) as exc:
        detail = getattr(exc, "detail", None) or getattr(exc, "fields", None) or str(exc)
        return (type(exc).__name__, str(detail))


@pytest.mark.parametrize(("body", "content_type"), BODIES)
def test_json_body_reads_as_drf_reads(body, content_type):
    factory = RequestFactory()
    ours = factory.generic("POST", "/x", body, content_type=content_type)
    theirs = Request(factory.generic("POST", "/x", body, content_type=content_type), parsers=[SafeJSONParser()])
    assert _outcome(lambda: json_body(ours)) == _outcome(lambda: theirs.data)
