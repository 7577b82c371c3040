from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urls

BODY = b"ok"


def constant(request):
    """The baseline: a bare Django view returning a constant, through the same middleware."""
    return HttpResponse(BODY, content_type="text/plain")


urlpatterns = [path("bench/constant", constant), *project_urls]
