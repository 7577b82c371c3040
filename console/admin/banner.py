"""The console's pages for cookies and the banner: declarations, banner versions, undeclared cookies."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from consent.exceptions import ConsentError
from consent.models import Purpose, Vendor
from consent.roles import can
from console.admin.ledger import AuditedAdmin
from cookies.drift import declare_observed
from cookies.models import BannerVersion, CookieDeclaration, ObservedCookie


@admin.register(CookieDeclaration)
class CookieDeclarationAdmin(AuditedAdmin):
    list_display = ("name", "site", "purpose", "vendor", "storage", "domain", "lifetime")
    list_filter = ("site", "storage", "purpose__key", "vendor")
    search_fields = ("name", "domain", "description")
    list_select_related = ("site", "purpose", "vendor")

    @admin.display(description="Lifetime")
    def lifetime(self, obj):
        if obj.lifetime_seconds is None:
            return "session"
        days = obj.lifetime_seconds / 86400
        return f"{days:.0f} days" if days >= 1 else f"{obj.lifetime_seconds} s"


@admin.register(BannerVersion)
class BannerVersionAdmin(AuditedAdmin):
    """Published versions are what visitors were shown: read-only here and in the database.

    New versions are written and previewed in the banner editor (one per site, linked below).
    """

    list_display = ("__str__", "site", "version", "language_list", "published_at", "created_by", "editor")
    list_filter = ("site", ("published_at", admin.EmptyFieldListFilter))
    list_select_related = ("site", "created_by")
    readonly_fields = ("version", "snapshot", "published_at", "created_by", "created_at")

    def has_add_permission(self, request):
        # Drafts are made in the editor, which validates every language's texts.
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Languages")
    def language_list(self, obj):
        return ", ".join(sorted(obj.texts or {}))

    @admin.display(description="")
    def editor(self, obj):
        return format_html('<a href="{}">Banner editor</a>', reverse("admin:console_banner", args=[obj.site.key]))


class DeclareForm(forms.Form):
    purpose = forms.ModelChoiceField(queryset=Purpose.objects.none())
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none(), required=False)
    lifetime_days = forms.IntegerField(required=False, min_value=0, max_value=3650, help_text="Empty: session.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, site, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = Purpose.objects.filter(site=site).order_by("position", "id")
        self.fields["vendor"].queryset = Vendor.objects.filter(site=site)


@admin.register(ObservedCookie)
class ObservedCookieAdmin(admin.ModelAdmin):
    """Cookies the banner found that no declaration covers: first and last seen, the page, a count."""

    list_display = ("name", "site", "first_seen", "last_seen", "page", "times_seen", "declare")
    list_filter = ("site", ("declared", admin.EmptyFieldListFilter))
    search_fields = ("name",)
    list_select_related = ("site", "declared")
    readonly_fields = ("site", "name", "page", "first_seen", "last_seen", "times_seen", "declared")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Declaration")
    def declare(self, obj):
        if obj.declared_id:
            return format_html('declared as <a href="{}">{}</a>', self._decl_url(obj.declared_id), obj.declared.name)
        return format_html(
            '<a class="button" href="{}">Declare</a>', reverse("admin:cookies_observedcookie_declare", args=[obj.pk])
        )

    def _decl_url(self, pk):
        return reverse("admin:cookies_cookiedeclaration_change", args=[pk])

    def get_urls(self):
        return [
            path(
                "<int:pk>/declare/",
                self.admin_site.admin_view(self.declare_view),
                name="cookies_observedcookie_declare",
            ),
        ] + super().get_urls()

    def declare_view(self, request, pk):
        if not can(request.user, "declare_cookie"):
            raise PermissionDenied
        observed = get_object_or_404(ObservedCookie.objects.select_related("site"), pk=pk)
        form = DeclareForm(observed.site, request.POST or None)
        if request.method == "POST" and form.is_valid():
            days = form.cleaned_data["lifetime_days"]
            try:
                declaration = declare_observed(
                    observed,
                    purpose=form.cleaned_data["purpose"],
                    vendor=form.cleaned_data["vendor"],
                    description=form.cleaned_data["description"],
                    lifetime_seconds=days * 86400 if days is not None else None,
                    actor=request.user,
                )
            except ConsentError as err:
                self.message_user(request, err.message, messages.ERROR)
            else:
                self.message_user(request, f"Declared {declaration.name} under {declaration.purpose.key}.")
                return redirect("admin:cookies_observedcookie_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Declare cookie {observed.name}",
            "observed": observed,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "console/declare_cookie.html", context)
