from django.urls import path

from demo import views

urlpatterns = [
    path("demo/", views.demo, name="demo"),
    path("demo/_frame/", views.demo_frame, name="demo-frame"),
    path("demo/<slug:site_key>/", views.demo, name="demo-site"),
]
