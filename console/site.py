"""The console's admin site: Django's admin with a second factor, role-aware navigation and DPO pages."""

from django.contrib import admin
from django.urls import path

from console import signin
from console.navigation import console_links, group_app_list


class ConsoleSite(admin.AdminSite):
    """`admin.site` of the project (see console.apps).

    With CONSOLE_REQUIRE_OTP on (production, tests) a staff member is only let in once a TOTP
    device has verified the session, as django_otp's OTPAdminSite does; the setting is read per
    request so one process can serve both modes in tests.
    """

    site_header = "Consent console"
    site_title = "Consent console"
    index_title = "Privacy operations"
    login_template = "console/login.html"

    @property
    def login_form(self):
        return signin.OtpSignInForm if signin.otp_required() else signin.PasswordSignInForm

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if signin.otp_required():
            verified = getattr(request.user, "is_verified", None)
            return bool(verified and verified())
        return True

    def each_context(self, request):
        context = super().each_context(request)
        user = request.user
        context["console_links"] = console_links(user) if user.is_authenticated else []
        return context

    def get_app_list(self, request, app_label=None):
        """The index and the sidebar grouped by task (console.navigation); app pages as Django has them."""
        app_list = super().get_app_list(request, app_label)
        if app_label is not None or not request.user.is_authenticated:
            return app_list
        return group_app_list(app_list, request.user)

    def get_urls(self):
        from console import preview, views

        wrap = self.admin_view
        urls = [
            path("console/dashboard/", wrap(views.dashboard), name="console_dashboard"),
            path("console/dashboard/<slug:site_key>/<slug:chart>.csv", wrap(views.chart_csv), name="console_chart_csv"),
            path("console/subjects/", wrap(views.subject_lookup), name="console_subjects"),
            path("console/subjects/<int:subject_id>/", wrap(views.subject_detail), name="console_subject"),
            path("console/banner/", wrap(views.banner_sites), name="console_banners"),
            path("console/banner/<slug:site_key>/", wrap(views.banner_editor), name="console_banner"),
            path(
                "console/banner/<slug:site_key>/preview/", wrap(preview.banner_preview), name="console_banner_preview"
            ),
            path("console/two-factor/", wrap(views.two_factor), name="console_two_factor"),
        ]
        return urls + super().get_urls()
