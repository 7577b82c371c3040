"""The one domain error, and the one error envelope every JSON error answer uses:
`{"error": {"code", "message", "fields"}}` (the API's exception handler, its middleware and input
guard, and the 503 while the database is down all build it here)."""

from django.http import JsonResponse


def error_envelope(code, message, fields=None):
    """The body of every JSON error: a stable code, a human message, and the fields at fault."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_json(status, code, message, fields=None):
    """The envelope as a plain Django response, for code that runs outside DRF (middleware)."""
    return JsonResponse(error_envelope(code, message, fields), status=status)


class ConsentError(Exception):
    status = 400

    def __init__(self, code, message, fields=None, status=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def envelope(self):
        return error_envelope(self.code, self.message, self.fields)


class NotFound(ConsentError):
    status = 404


class Conflict(ConsentError):
    status = 409
