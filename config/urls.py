from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.views import favicon, healthz, ledger_keys
from demo.views import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path(".well-known/consent-ledger-keys", ledger_keys, name="ledger-keys"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # The embed (/c/<site>.js) is the most requested URL: resolve it first.
    path("", include("cookies.urls")),
    path("", include("features.centre.urls")),
    path("", include("demo.urls")),
]
