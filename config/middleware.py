"""Middleware that only pages a person browses need, skipped for the public API and the embed.

Every page view of every customer site fetches the embed, and every banner decision is a POST
to the API; neither reads or sets a cookie, signs anyone in or shows a message (the API has no
session authentication: keys and signed tokens only). Sessions, staff sign-in, the second factor
and messages are wrapped by `pages_only`, which calls the wrapped middleware for every other path
and hands these paths straight on. What every response needs (security headers, 503 while the
database is down, CSP, body limits and CORS, Content-Length) and CSRF protection (Django's deploy
check wants its own middleware; the API's views are exempt from it) stay unwrapped.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django_otp.middleware import OTPMiddleware

COOKIELESS_PREFIXES = ("/api/v1/", "/c/")


def is_cookieless(request):
    return request.path_info.startswith(COOKIELESS_PREFIXES)


def pages_only(middleware_class):
    """A subclass of `middleware_class` (so that checks looking for it still find it) that hands
    cookieless requests straight on, its view hook included."""

    def __call__(self, request):
        if is_cookieless(request):
            return self.get_response(request)
        return middleware_class.__call__(self, request)

    def process_view(self, request, view, args, kwargs):
        if is_cookieless(request):
            return None
        return middleware_class.process_view(self, request, view, args, kwargs)

    members = {"__call__": __call__, "__doc__": f"{middleware_class.__name__}, except on the public API and the embed."}
    if hasattr(middleware_class, "process_view"):
        members["process_view"] = process_view
    return type(f"Pages{middleware_class.__name__}", (middleware_class,), members)


PagesSessionMiddleware = pages_only(SessionMiddleware)
PagesAuthenticationMiddleware = pages_only(AuthenticationMiddleware)
PagesOTPMiddleware = pages_only(OTPMiddleware)
PagesMessageMiddleware = pages_only(MessageMiddleware)
