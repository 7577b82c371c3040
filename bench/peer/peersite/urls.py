from django.urls import include, path

urlpatterns = [path("cookies/", include("cookie_consent.urls"))]
