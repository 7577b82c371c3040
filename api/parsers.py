"""A JSON parser that turns every malformed body into a 400 instead of a crash deeper down."""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser
from rest_framework.utils import json as drf_json
from rest_framework.utils.mediatypes import media_type_matches

from api.input_guard import MESSAGE as CONTROL_MESSAGE
from consent.exceptions import ConsentError
from consent.text import has_control_characters


def _check_string(text, where):
    if has_control_characters(text):
        raise ConsentError(
            "request.control_character",
            f"{where or 'body'}: {CONTROL_MESSAGE}",
            {where or "body": [CONTROL_MESSAGE]},
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError("Strings must be valid Unicode (no lone surrogate escapes).") from None


def _reject_unstorable(data):
    """Refuse strings the database or the UTF-8 encoder cannot take: control characters, lone surrogates.

    The error names the dotted path of the field, as validation errors do. Both faults are single
    characters, so the body's strings (keys too) are checked joined, in one pass; only a body
    that fails is walked string by string to name the field (a bulk check sends 10,000 strings).
    """
    strings, stack = [], [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            strings.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            if set(map(type, value)) <= {str}:  # a list of strings (10,000 references) in one step
                strings.extend(value)
            else:
                stack.extend(value)
    text = "".join(strings)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if not has_control_characters(text):
            return
    _name_the_unstorable(data)


def _name_the_unstorable(data):
    stack = [(data, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            _check_string(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_string(key, where)
                name = f"{where}.{key}" if where else key
                stack.append((item, name))
        elif isinstance(value, list):
            stack.extend((item, f"{where}.{index}" if where else str(index)) for index, item in enumerate(value))


TOO_DEEP = "JSON parse error - the body is nested too deeply."


class SafeJSONParser(JSONParser):
    """DRF's strict JSON parser, plus: deep nesting, control characters and lone surrogates are 400s too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        _reject_unstorable(data)
        return data


def json_body(request):
    """The body of a plain Django request as `SafeJSONParser` reads it for DRF's `request.data`,
    with the same errors: {} when empty, 415 unless JSON, 400 when malformed or unstorable. For
    the one view that skips DRF's request (the banner's decision, `SiteDecisionsView`)."""
    body = request.body
    if not body:
        return {}
    content_type = request.META.get("CONTENT_TYPE", "")
    if not media_type_matches(SafeJSONParser.media_type, content_type):
        raise UnsupportedMediaType(content_type)
    encoding = request.encoding or settings.DEFAULT_CHARSET
    try:
        data = json.loads(body.decode(encoding), parse_constant=drf_json.strict_constant)
    except RecursionError:
        raise ParseError(TOO_DEEP) from None
    except (ValueError, LookupError) as exc:
        raise ParseError(f"JSON parse error - {exc}") from None
    _reject_unstorable(data)
    return data


def dumps(data):
    """Compact JSON, the same bytes for the same data (used for ETags)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
