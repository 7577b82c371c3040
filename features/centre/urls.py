"""Public pages: the preference centre, one-click unsubscribe and policy-notice acknowledgement."""

from django.urls import path

from features.centre import channel_views, views

app_name = "consent"

urlpatterns = [
    path("preferences/<slug:site_key>/", views.preference_centre, name="preferences"),
    path("preferences/<slug:site_key>/choices", views.preference_save, name="preferences-save"),
    path("preferences/<slug:site_key>/object/<slug:purpose_key>", views.preference_object, name="preferences-object"),
    path("preferences/<slug:site_key>/withdraw-all", views.preference_withdraw_all, name="preferences-withdraw-all"),
    path(
        "preferences/<slug:site_key>/notices/<int:notification_id>/acknowledge",
        views.preference_acknowledge,
        name="preferences-acknowledge",
    ),
    path("preferences/<slug:site_key>/requests", views.preference_request, name="preferences-request"),
    path("preferences/<slug:site_key>/export.<str:fmt>", views.preference_export, name="preferences-export"),
    path("preferences/<slug:site_key>/receipts.json", views.preference_receipts, name="preferences-receipts"),
    path("policies/<slug:site_key>/<int:version>/changes", views.policy_changes_view, name="policy-changes"),
    path("u/<str:token>/", channel_views.unsubscribe_view, name="unsubscribe"),
    path("notices/<str:token>/", channel_views.acknowledge_view, name="acknowledge"),
    path("s/<str:token>", channel_views.sms_opt_out_view, name="sms-opt-out"),
    path("confirm/<str:token>/", channel_views.confirm_subscription_view, name="confirm-subscription"),
]
