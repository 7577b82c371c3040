"""503 with Retry-After, never 500, while the database is down or restarting.

A request that meets `django.db.OperationalError` or `InterfaceError` (connection refused,
server closed the connection, administrator shutdown) is answered 503: in the API's error
envelope (`service.unavailable`) under /api/, an HTML page elsewhere. Clients (the banner's
retry queue, back ends) try again after `Retry-After` seconds; nothing they sent was
acknowledged, so nothing acknowledged is lost.

Two paths lead here. An error raised by a view (or DRF's authentication and throttling, which
run inside it) reaches `process_exception`. An error raised elsewhere (another middleware, e.g.
the session save) has already been turned into a 500 by Django's handler; the
`got_request_exception` receiver marks the request, and the middleware, outermost of the
database users, swaps that 500 for a 503.

Recovery needs no restart: Django marks a connection that raised as errored, and at the end of
the request `close_old_connections` drops it if it no longer answers, so the next request opens
a new one. `CONN_HEALTH_CHECKS=1` (config/settings.py) tests a persistent connection before its
first use in each request, which spares that one 503 at the cost of a round trip per request.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import render_to_string

from consent.exceptions import error_json

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DATABASE_ERRORS = (OperationalError, InterfaceError)
MESSAGE = "The service is briefly unavailable (its database does not answer). Try again shortly."
_MARK = "_database_unavailable"


def unavailable_response(request):
    """The 503 for this request: JSON envelope for the API, a small HTML page otherwise."""
    if request.path.startswith("/api/"):
        response = error_json(503, "service.unavailable", MESSAGE)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _log(exc):
    # The error's class only: its text can carry connection details, and the path can name a subject.
    logger.warning("database unavailable: %s", type(exc).__name__)


@receiver(got_request_exception)
def _mark_database_error(sender, request=None, **kwargs):
    """Called by Django's handler inside the `except` block: the exception is the current one."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_ERRORS):
        setattr(request, _MARK, True)
        _log(exc)


class DatabaseUnavailableMiddleware:
    """Turns database-down failures into 503 + Retry-After (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            _log(exception)
            return unavailable_response(request)
        return None
