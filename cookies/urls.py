from django.urls import path

from cookies import views

urlpatterns = [
    path("c/<slug:site_key>.js", views.embed, name="embed"),
    path("c/<slug:site_key>/details.json", views.details, name="embed-details"),
    path(".well-known/gpc.json", views.gpc_support, name="gpc-support"),
]
