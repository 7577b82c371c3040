"""The console speaks the staff member's language: Django's own admin translations and ours,
chosen from ?lang= (remembered for the session), then Accept-Language, else English. Only the
console's pages: the API, the embed and the public pages choose their language themselves."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

PREFIXES = ("/admin/",)  # the console lives under /admin/ (console/site.py)
SESSION_KEY = "console.lang"


def console_language(request):
    supported = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang")
    if asked in supported and hasattr(request, "session"):
        request.session[SESSION_KEY] = asked
        return asked
    remembered = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if remembered in supported:
        return remembered
    for tag, _q in translation.trans_real.parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        code = tag.split("-")[0].lower()
        if code in supported:
            return code
    return settings.LANGUAGE_CODE


class ConsoleLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIXES):
            return self.get_response(request)
        language = console_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response
