"""One error envelope for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from consent.exceptions import ConsentError, error_envelope

_CODES = {
    status.HTTP_400_BAD_REQUEST: "request.invalid",
    status.HTTP_401_UNAUTHORIZED: "auth.unauthenticated",
    status.HTTP_403_FORBIDDEN: "auth.forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "request.method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "request.not_acceptable",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "request.too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "request.unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "request.throttled",
}


def flatten_errors(detail, prefix=""):
    """DRF's nested error details as {"dotted.field": ["message", ...]}."""
    fields = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(flatten_errors(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                fields.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def exception_handler(exc, context):
    if isinstance(exc, ConsentError):
        return Response(exc.envelope(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        first = next(iter(fields.items()), None)
        message = f"{first[0]}: {first[1][0]}" if first else "The request is not valid."
        body = error_envelope("request.invalid", message, fields)
    elif isinstance(exc, exceptions.ParseError):
        # The body as a whole is the field at fault (malformed JSON, bad encoding, nesting).
        body = error_envelope("request.malformed_json", str(exc.detail), {"body": [str(exc.detail)]})
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        body = error_envelope(
            "request.unsupported_media_type",
            f"{exc.detail} Send JSON with 'Content-Type: application/json'.",
            {"content_type": [str(exc.detail)]},
        )
    else:
        code = _CODES.get(exc.status_code, "error")
        body = error_envelope(code, str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)
