from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.views import favicon, healthz, ledger_keys
from demo.views import home

# The most requested URLs come first (patterns are tried in order): the embed (/c/<site>.js,
# every page view of every customer site), then the API (every banner decision).
urlpatterns = [
    path("", include("cookies.urls")),
    path("api/v1/", include("api.urls")),
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path(".well-known/consent-ledger-keys", ledger_keys, name="ledger-keys"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("features.centre.urls")),
    path("", include("demo.urls")),
]
