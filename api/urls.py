"""API v1 routes, mounted at /api/v1/ by config/urls.py."""

from django.urls import path

from api import handover, server, views
from api.channels import SmsKeywordView, SmsOptOutLinkView, SubscriptionView
from api.observed_cookies import ObservedCookiesView
from api.subject_links import PreferenceLinkView, UnsubscribeHeadersView

urlpatterns = [
    # The banner's decision first: the most requested route of the API.
    path("sites/<str:site_key>/decisions", views.SiteDecisionsView.as_view(), name="api-site-decisions"),
    path("sites/<str:site_key>/config", views.SiteConfigView.as_view(), name="api-site-config"),
    path("sites/<str:site_key>/jurisdiction", views.SiteJurisdictionView.as_view(), name="api-site-jurisdiction"),
    path("sites/<str:site_key>/handover", handover.HandoverIssueView.as_view(), name="api-site-handover"),
    path(
        "sites/<str:site_key>/handover/accept", handover.HandoverAcceptView.as_view(), name="api-site-handover-accept"
    ),
    path("subjects/<str:subject_ref>/decisions", server.SubjectDecisionsView.as_view(), name="api-subject-decisions"),
    path("subjects/<str:subject_ref>/consents", server.SubjectConsentsView.as_view(), name="api-subject-consents"),
    path("subjects/<str:subject_ref>/preference-link", PreferenceLinkView.as_view(), name="api-preference-link"),
    path(
        "subjects/<str:subject_ref>/unsubscribe-headers",
        UnsubscribeHeadersView.as_view(),
        name="api-unsubscribe-headers",
    ),
    path("subjects/<str:subject_ref>/subscriptions", SubscriptionView.as_view(), name="api-subscriptions"),
    path("subjects/<str:subject_ref>/sms-keyword", SmsKeywordView.as_view(), name="api-sms-keyword"),
    path("subjects/<str:subject_ref>/sms-opt-out-link", SmsOptOutLinkView.as_view(), name="api-sms-opt-out-link"),
    path("consents/check", server.ConsentCheckView.as_view(), name="api-consents-check"),
    path("audit", server.AuditView.as_view(), name="api-audit"),
    path("sites/<str:site_key>/observed-cookies", ObservedCookiesView.as_view(), name="api-observed-cookies"),
]
