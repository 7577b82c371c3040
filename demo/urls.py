from django.urls import path

from demo import views

urlpatterns = [
    path("demo/", views.demo, name="demo"),
    path("demo/_frame/", views.demo_frame, name="demo-frame"),
    path("demo/tcf/", views.demo_tcf, name="demo-tcf"),
    path("demo/tcf/_frame/", views.demo_tcf_frame, name="demo-tcf-frame"),
    path("demo/<slug:site_key>/", views.demo, name="demo-site"),
]
