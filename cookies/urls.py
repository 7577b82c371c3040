from django.urls import path

from cookies import views

urlpatterns = [
    path("c/tcf-stub.js", views.tcf_stub, name="tcf-stub"),  # before the embed: "tcf-stub" is no site key
    path("c/<slug:site_key>.js", views.embed, name="embed"),
    path("c/<slug:site_key>/details.json", views.details, name="embed-details"),
    path("c/<slug:site_key>/tcf/vendor-list.json", views.tcf_vendor_list, name="embed-tcf-gvl"),
    path(".well-known/gpc.json", views.gpc_support, name="gpc-support"),
]
