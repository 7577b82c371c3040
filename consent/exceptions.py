"""The one domain error. The API maps it to `{"error": {"code", "message", "fields"}}`."""


class ConsentError(Exception):
    status = 400

    def __init__(self, code, message, fields=None, status=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class NotFound(ConsentError):
    status = 404


class Conflict(ConsentError):
    status = 409
