"""A strict Content-Security-Policy on the platform's own pages: the console and the preference centre.

Scripts and styles load only from our own origin (no inline script, no inline style, no
eval), nothing may frame the pages, and forms post only to us. The embed script `/c/<key>.js`,
the API and the demo pages (which play a customer's site) are left alone, so the header is set
by path prefix rather than on every response; a small middleware does this with no dependency
(django-csp would need exclusions for every other path). Set `CSP_REPORT_ONLY` to try a change.
"""

from django.conf import settings

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PROTECTED_PREFIXES = ("/admin/", "/preferences/", "/u/", "/notices/")


def protected(path):
    return path.startswith(PROTECTED_PREFIXES)


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response under the protected prefixes (errors and redirects too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if protected(request.path):
            header = (
                "Content-Security-Policy-Report-Only"
                if getattr(settings, "CSP_REPORT_ONLY", False)
                else "Content-Security-Policy"
            )
            response.headers.setdefault(header, POLICY)
        return response
