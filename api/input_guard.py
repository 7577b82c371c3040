"""Control characters are refused at the door: in the path, the query string and form fields.

NUL cannot be stored in PostgreSQL text and the other C0 controls (and DEL) have no business in
a key, a search or a filter; letting them through turned into 500s deep inside views. The
middleware answers 400 naming the field: the API's error envelope under /api/, a small HTML page
elsewhere. Tab, line feed and carriage return stay allowed in query and form values (text areas
send them); JSON bodies are checked by the API's parser (api.parsers).
"""

from django.http import HttpResponse
from django.utils.html import escape

from consent.exceptions import error_json
from consent.text import has_control_characters

MESSAGE = "Control characters (such as NUL) are not allowed."
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _first_bad_field(query_dict):
    for name, values in query_dict.lists():
        if has_control_characters(name, allow_whitespace=False):
            return "parameter name"
        if any(has_control_characters(value) for value in values):
            return name
    return None


def find_control_characters(request):
    """(where, field) of the first control character in the request, or None."""
    if has_control_characters(request.path, allow_whitespace=False):
        return "path", "path"
    field = _first_bad_field(request.GET)
    if field is not None:
        return "query parameter", field
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method == "POST" and not request.path.startswith("/api/") and content_type.startswith(_FORM_TYPES):
        field = _first_bad_field(request.POST)
        if field is not None:
            return "form field", field
    return None


def _html_400(message):
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad request</title></head>'
        f"<body><h1>Bad request</h1><p>{escape(message)}</p></body></html>"
    )
    return HttpResponse(body, status=400, content_type="text/html; charset=utf-8")


class ControlCharacterMiddleware:
    """400 for a request carrying a control character anywhere a field can hold one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = find_control_characters(request)
        if found is None:
            return self.get_response(request)
        where, field = found
        field = field[:100]
        if where == "path":
            message = "The path contains a control character."
        else:
            message = f"The {where} {field!r} contains a control character."
        if request.path.startswith("/api/"):
            return error_json(400, "request.control_character", message, {field: [MESSAGE]})
        return _html_400(message)
