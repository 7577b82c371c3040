"""The console's pages for the consent ledger: configuration, policies, subjects, the trail, rights requests.

Configuration (sites, purposes, vendors) is edited here; the ledger and the audit trail are
read-only (the database refuses changes to them anyway); every change or export a staff member
makes is written to the audit trail through `consent.services.audit.record_audit`.

Over 400 lines on purpose: one ModelAdmin per ledger model, each small; the admin registrations read
best together.
"""

from datetime import UTC

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from consent.exceptions import ConsentError
from consent.models import (
    PURPOSE_MEANING_FIELDS,
    VENDOR_MEANING_FIELDS,
    ApiKey,
    AuditEvent,
    ConsentEvent,
    Notification,
    NotificationStatus,
    PolicyVersion,
    Purpose,
    RightsRequest,
    RightsRequestStatus,
    Site,
    Subject,
    Vendor,
    Webhook,
    WebhookDelivery,
)
from consent.regimes import regime_rules
from consent.roles import can
from consent.services.audit import record_audit
from console.exports import csv_response
from console.people import local_time, reference
from features import policies, rights


def _changed_fields(form):
    return sorted(form.changed_data) if form is not None else []


class AuditedAdmin(admin.ModelAdmin):
    """Writes one audit entry per add, change and delete made through the console."""

    def _site_of(self, obj):
        if isinstance(obj, Site):
            return obj if obj.pk else None
        return getattr(obj, "site", None)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.model_name}.{'changed' if change else 'added'}"
        record_audit(
            action=action,
            site=self._site_of(obj),
            actor=request.user,
            obj=obj,
            data={"fields": _changed_fields(form)},
        )

    def delete_model(self, request, obj):
        site = self._site_of(obj)
        if isinstance(obj, Site):
            site = None
        label, pk = str(obj), obj.pk
        super().delete_model(request, obj)
        record_audit(
            action=f"{obj._meta.model_name}.deleted",
            site=site,
            actor=request.user,
            data={"object": label, "id": pk},
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For the append-only ledger and trail: view and filter, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


class CsvExportMixin:
    """An "Export CSV" of the filtered changelist, for users allowed to export."""

    export_fields = ()

    def export_row(self, obj):
        return [getattr(obj, f) for f in self.export_fields]

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("export.csv", self.admin_site.admin_view(self.export_view), name="{}_{}_export".format(*info)),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if can(request.user, "export") and self.has_view_permission(request):
            info = self.model._meta.app_label, self.model._meta.model_name
            query = request.GET.urlencode()
            url = reverse("admin:{}_{}_export".format(*info))
            extra_context["export_url"] = f"{url}?{query}" if query else url
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        if not (self.has_view_permission(request) and can(request.user, "export")):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        record_audit(
            action=f"{self.model._meta.model_name}.exported",
            actor=request.user,
            data={"filters": {k: v for k, v in request.GET.items()}, "rows": queryset.count()},
        )
        rows = (self.export_row(obj) for obj in queryset.iterator(chunk_size=2000))
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return csv_response(f"{self.model._meta.model_name}-{stamp}.csv", list(self.export_fields), rows)


# --- configuration ----------------------------------------------------------------------------


class PurposeInline(admin.TabularInline):
    model = Purpose
    extra = 0
    fields = ("key", "kind", "legal_basis", "essential", "gpc_sensitive", "position")
    show_change_link = True


class VendorInline(admin.TabularInline):
    model = Vendor
    extra = 0
    fields = ("key", "name", "country", "policy_url")
    show_change_link = True


@admin.register(Site)
class SiteAdmin(AuditedAdmin):
    list_display = (
        "name",
        "key",
        "regime",
        "language_list",
        "consent_lifetime_days",
        "retention_days",
        "ip_handling",
        "console",
    )
    list_filter = ("regime", "ip_handling")
    search_fields = ("key", "name")
    inlines = [PurposeInline, VendorInline]
    readonly_fields = ("created_at", "regimes_in_effect")
    fieldsets = (
        (None, {"fields": ("key", "name", "languages", "default_language", "allowed_origins", "policy_url")}),
        ("Rules", {"fields": ("consent_lifetime_days", "notice_period_days")}),
        (
            "Regimes by jurisdiction",
            {
                "description": "Opt-in re-ask 182-395 days (CNIL); opt-out re-ask at least 365 days after an "
                "opt-out (CCPA); notice display: notice or none. See docs/regimes.md.",
                "fields": (
                    "regime",
                    "regime_by_country",
                    "regime_settings",
                    "default_jurisdiction",
                    "regimes_in_effect",
                ),
            },
        ),
        ("Domains", {"fields": ("cookie_domain",)}),
        ("Rights requests", {"fields": ("rights_deadline_days", "rights_complex_deadline_days")}),
        (
            "Retention",
            {
                "description": "Applied daily by manage.py apply_retention: superseded consent records older than "
                "this leave the ledger behind a signed checkpoint (the choice in force always stays); analytics "
                "data older than its period is deleted. See docs/retention.md.",
                "fields": ("retention_days", "data_retention_days"),
            },
        ),
        ("Personal data", {"fields": ("ip_handling", "age_of_digital_consent", "dpo_email")}),
        ("Google Consent Mode", {"fields": ("consent_mode",)}),
        ("Record", {"fields": ("created_at",)}),
    )

    @admin.display(description="In effect")
    def regimes_in_effect(self, obj):
        """The places each regime covers and its settings, as the banner will read them."""
        if obj is None or obj.pk is None:
            return "-"
        rules = regime_rules(obj)

        def where(regime):
            listed = rules["places"].get(regime, "")
            if regime == rules["default"]:
                return f"{listed} and everywhere else" if listed else "everywhere else"
            return listed or "nowhere"

        editor = reverse("admin:console_banner", args=[obj.key])
        return format_html_join(
            "\n",
            '<p><strong>{}</strong>: {}. {} <a href="{}?preview_regime={}#previews-title">Preview the banner</a></p>',
            (
                (
                    regime,
                    where(regime),
                    ", ".join(f"{k} {v}" for k, v in values.items() if v not in ([], None)),
                    editor,
                    regime,
                )
                for regime, values in rules["regimes"].items()
            ),
        )

    @admin.display(description="Languages")
    def language_list(self, obj):
        return ", ".join(obj.languages or [obj.default_language])

    @admin.display(description="Console")
    def console(self, obj):
        dashboard = reverse("admin:console_dashboard") + f"?site={obj.key}"
        banner = reverse("admin:console_banner", args=[obj.key])
        return format_html('<a href="{}">Dashboard</a> · <a href="{}">Banner editor</a>', dashboard, banner)


class MeaningFrozenAdmin(AuditedAdmin):
    """Once consents are recorded against a row, the fields that give them meaning are shown
    read-only with a note saying why (the model's clean() and the database refuse them too)."""

    meaning_fields = ()
    meaning_note = (
        "This {what} has recorded consents: its {fields} are fixed, because changing them would "
        "change what people agreed to. Create a new {what} or publish a material policy change "
        "that asks again. Names, descriptions and translations stay editable."
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.has_events():
            fields += [f for f in self.meaning_fields if f not in fields]
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and obj is not None and obj.has_events():
            what = self.model._meta.verbose_name
            names = ", ".join(f.replace("_", " ") for f in self.meaning_fields)
            self.message_user(request, self.meaning_note.format(what=what, fields=names), messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Purpose)
class PurposeAdmin(MeaningFrozenAdmin):
    list_display = ("key", "site", "kind", "legal_basis", "essential", "gpc_sensitive", "position")
    list_filter = ("site", "kind", "legal_basis", "essential", "gpc_sensitive")
    search_fields = ("key",)
    list_select_related = ("site",)
    ordering = ("site", "position", "id")
    meaning_fields = PURPOSE_MEANING_FIELDS


class VendorForm(forms.ModelForm):
    """Adding a vendor to, or removing it from, a purpose with recorded consents changes what
    those consents cover: refused with a form error (the database refuses it too)."""

    class Meta:
        model = Vendor
        fields = ("site", "key", "name", "country", "policy_url", "purposes")

    def clean(self):
        cleaned = super().clean()
        if "purposes" not in cleaned:
            return cleaned
        before = set(self.instance.purposes.all()) if self.instance.pk else set()
        moved = before.symmetric_difference(cleaned["purposes"])
        pinned = sorted(p.key for p in moved if p.has_events())
        if pinned:
            self.add_error(
                "purposes",
                f"Purposes with recorded consents cannot gain or lose vendors ({', '.join(pinned)}): "
                "that would change what people agreed to. Create a new purpose or publish a material "
                "policy change that asks again.",
            )
        return cleaned


@admin.register(Vendor)
class VendorAdmin(MeaningFrozenAdmin):
    form = VendorForm
    meaning_fields = VENDOR_MEANING_FIELDS
    list_display = ("name", "key", "site", "country", "purpose_list")
    list_filter = ("site", "country")
    search_fields = ("name", "key")
    filter_horizontal = ("purposes",)
    list_select_related = ("site",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("purposes")

    @admin.display(description="Purposes")
    def purpose_list(self, obj):
        return ", ".join(p.key for p in obj.purposes.all())


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedAdmin):
    """Keys are created with the API or a command (the plaintext is shown once); here they are revoked."""

    list_display = ("prefix", "site", "name", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = ("site",)
    readonly_fields = ("site", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes) or "all"

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        now = timezone.now()
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoked_at = now
            key.save(update_fields=["revoked_at"])
            record_audit(action="apikey.revoked", site=key.site, actor=request.user, obj=key, now=now)
        self.message_user(request, "Revoked.")


# --- webhooks -------------------------------------------------------------------------------


@admin.register(Webhook)
class WebhookAdmin(AuditedAdmin):
    """Where a site's back end is told of consent changes; the secret is what it verifies with."""

    list_display = ("url", "site", "active", "only_withdrawals", "created_at")
    list_filter = ("site", "active")
    fields = ("site", "url", "active", "only_withdrawals", "secret", "created_at")
    readonly_fields = ("secret", "created_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every change notice and how its delivery went; failed ones are retried by the worker."""

    list_display = ("id", "webhook", "status", "attempts", "last_status_code", "created_at", "delivered_at")
    list_filter = ("status", "webhook__site")
    list_select_related = ("webhook",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


# --- policies -------------------------------------------------------------------------------


class PolicyForm(forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = ("site", "kind", "url", "text", "change_summary", "material", "affected_purposes")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(AuditedAdmin):
    """Drafts are edited and previewed here; publishing is final and queues the change notices."""

    form = PolicyForm
    list_display = ("__str__", "site", "kind", "version", "material", "published_at", "effective_at", "campaign")
    list_filter = ("site", "kind", "material", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("change_summary",)
    filter_horizontal = ("affected_purposes",)
    change_form_template = "admin/consent/policyversion/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return [
                "site",
                "kind",
                "version",
                "url",
                "text",
                "change_summary",
                "material",
                "affected_purposes",
                "published_at",
                "effective_at",
            ]
        return []

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Notices (queued / sent / failed / acknowledged)")
    def campaign(self, obj):
        if not obj.is_published:
            return "draft"
        c = campaign_progress(obj)
        return f"{c['queued']} / {c['sent']} / {c['failed']} / {c['acknowledged']}"

    def get_urls(self):
        return [
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="consent_policyversion_publish",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None:
            extra_context["campaign"] = campaign_progress(obj) if obj.is_published else None
            extra_context["publish_preview"] = None if obj.is_published else policies.preview(obj)
            extra_context["can_publish"] = not obj.is_published and can(request.user, "publish_policy")
        return super().change_view(request, object_id, form_url, extra_context)

    def publish_view(self, request, pk):
        policy = get_object_or_404(PolicyVersion, pk=pk)
        if request.method != "POST" or not can(request.user, "publish_policy"):
            raise PermissionDenied
        try:
            effective_at = _effective_at(request.POST.get("effective_at", ""))
            ids = policies.publish_policy(policy, actor=request.user, effective_at=effective_at)
        except ConsentError as err:
            self.message_user(request, f"Not published: {err.message}", messages.ERROR)
        except forms.ValidationError as err:
            self.message_user(request, f"Not published: {'; '.join(err.messages)}", messages.ERROR)
        else:
            self.message_user(request, f"Published version {policy.version}; {len(ids)} notices queued.")
        return redirect("admin:consent_policyversion_change", policy.pk)


def _effective_at(raw):
    """The publish form's optional date: a form error (never a crash) when it is not a date."""
    raw = raw.strip()
    if not raw:
        return None
    parsed = forms.DateTimeField().clean(raw)
    try:
        # In UTC: PostgreSQL refuses offsets beyond 15:59 that the form field accepts.
        aware = timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
        return aware.astimezone(UTC)
    except (ValueError, OverflowError):
        raise forms.ValidationError("Enter a valid date and time for effective_at.", code="invalid") from None


def campaign_progress(policy):
    """Counts of the notices of one policy version by status (the notification_campaign index)."""
    rows = Notification.objects.filter(policy_version=policy).aggregate(
        **{s: Count("id", filter=Q(status=s)) for s in NotificationStatus.values}, total=Count("id")
    )
    return rows


@admin.register(Notification)
class NotificationAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = ("id", "site", "policy_version", "channel", "status", "attempts", "queued_at", "sent_at")
    list_filter = ("site", "status", "channel")
    list_select_related = ("site", "policy_version__site")
    export_fields = ("id", "site_id", "policy_version_id", "subject_id", "channel", "status", "attempts")
    show_full_result_count = False


# --- subjects, ledger and trail -------------------------------------------------------------


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    """Look-up by the site's user id, a visitor id or the email (exact matches)."""

    list_display = ("person", "site", "alias_list", "email", "created_at", "erased_at", "open_link")
    list_filter = ("site", ("erased_at", admin.EmptyFieldListFilter))
    search_fields = ("=aliases__value", "=email")
    search_help_text = "Exact site user id, visitor id or email."
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site").prefetch_related("aliases")

    @admin.display(description="Person")
    def person(self, obj):
        return reference(obj)

    @admin.display(description="Known as")
    def alias_list(self, obj):
        return ", ".join(f"{a.get_kind_display()}: {a.value}" for a in obj.aliases.all())

    @admin.display(description="")
    def open_link(self, obj):
        return format_html('<a href="{}">State and history</a>', reverse("admin:console_subject", args=[obj.pk]))


@admin.register(ConsentEvent)
class ConsentEventAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = ("recorded_at", "site", "subject_id", "purpose", "vendor", "decision", "version", "method")
    list_filter = ("site", "decision", "method", "jurisdiction", "language")
    search_fields = ("=receipt_id", "=subject__aliases__value")
    list_select_related = ("site", "purpose", "vendor")
    show_full_result_count = False
    export_fields = (
        "id",
        "recorded_at",
        "site",
        "subject_id",
        "seq",
        "purpose",
        "vendor",
        "decision",
        "version",
        "method",
        "policy_version",
        "banner_version",
        "jurisdiction",
        "language",
        "receipt_id",
        "hash",
    )

    def export_row(self, obj):
        return [
            obj.pk,
            obj.recorded_at.isoformat(),
            obj.site.key,
            obj.subject_id,
            obj.seq,
            obj.purpose.key,
            obj.vendor.key if obj.vendor_id else "",
            obj.decision,
            obj.version,
            obj.method,
            obj.policy_version,
            obj.banner_version,
            obj.jurisdiction,
            obj.language,
            obj.receipt_id,
            obj.hash,
        ]


@admin.register(AuditEvent)
class AuditEventAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_label", "site", "object_type", "object_id", "subject_id")
    list_filter = ("site", "action", "actor_label", "object_type")
    search_fields = ("=action", "=actor_label", "=object_id")
    date_hierarchy = "created_at"
    list_select_related = ("site",)
    readonly_fields = (
        "created_at",
        "action",
        "actor_label",
        "site",
        "object_type",
        "object_id",
        "subject",
        "data",
        "uuid",
    )
    export_fields = ("uuid", "created_at", "action", "actor_label", "site", "object_type", "object_id", "subject_id")

    def export_row(self, obj):
        return [
            obj.uuid,
            obj.created_at.isoformat(),
            obj.action,
            obj.actor_label,
            obj.site.key if obj.site_id else "",
            obj.object_type,
            obj.object_id,
            obj.subject_id or "",
        ]


# --- rights requests --------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("week", "Due within 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = queryset.filter(status__in=[RightsRequestStatus.OPEN, RightsRequestStatus.EXTENDED])
        if self.value() == "overdue":
            return open_.filter(due_at__lt=now)
        if self.value() == "week":
            return open_.filter(due_at__gte=now, due_at__lt=now + timezone.timedelta(days=7))
        return queryset


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(choices=[(1, "1 month"), (2, "2 months")], coerce=int, initial=2)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class CompleteForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False)


@admin.register(RightsRequest)
class RightsRequestAdmin(ReadOnlyAdmin):
    """The queue: oldest due first, overdue ones marked; extension and completion go through
    features.rights so the limits (three months at most, a reason) and the audit trail hold."""

    list_display = ("id", "kind", "site", "person", "status", "received", "due", "completed")
    list_filter = (OverdueFilter, "status", "kind", "site")
    list_select_related = ("site", "subject")
    ordering = ("due_at",)
    readonly_fields = (
        "site",
        "person",
        "kind",
        "status",
        "details",
        "received_at",
        "due_at",
        "extension_reason",
        "completed_at",
        "completed_by",
        "resolution",
    )
    change_form_template = "admin/consent/rightsrequest/change_form.html"

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return self.readonly_fields  # the person by the site's reference instead of "subject 1203"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("subject__aliases")

    @admin.display(description="Person")
    def person(self, obj):
        """The site's own reference, linked to the person's page (for those who may see it)."""
        if obj.subject is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:console_subject", args=[obj.subject_id]), reference(obj.subject)
        )

    @admin.display(description="Received", ordering="received_at")
    def received(self, obj):
        return local_time(obj.received_at, "%d %b %Y")

    @admin.display(description="Completed", ordering="completed_at")
    def completed(self, obj):
        return local_time(obj.completed_at, "%d %b %Y") or "–"

    @admin.display(description="Due", ordering="due_at")
    def due(self, obj):
        overdue = obj.status in (RightsRequestStatus.OPEN, RightsRequestStatus.EXTENDED) and obj.due_at < timezone.now()
        due = local_time(obj.due_at, "%d %b %Y")
        if overdue:
            return format_html('<strong class="console-overdue">{} — overdue</strong>', due)
        return due

    def get_urls(self):
        return [
            path(
                "<int:pk>/process/", self.admin_site.admin_view(self.process_view), name="consent_rightsrequest_process"
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if (
            obj is not None
            and can(request.user, "rights")
            and obj.status
            in (
                RightsRequestStatus.OPEN,
                RightsRequestStatus.EXTENDED,
            )
        ):
            extra_context["extend_form"] = ExtendForm()
            extra_context["complete_form"] = CompleteForm()
        return super().change_view(request, object_id, form_url, extra_context)

    def process_view(self, request, pk):
        if request.method != "POST" or not can(request.user, "rights"):
            raise PermissionDenied
        item = get_object_or_404(RightsRequest, pk=pk)
        op = request.POST.get("op")
        try:
            if op == "extend":
                form = ExtendForm(request.POST)
                if not form.is_valid():
                    errors = "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items())
                    raise ConsentError("rights.invalid", f"Not extended: {errors}")
                rights.extend_rights_request(
                    item, form.cleaned_data["reason"], actor=request.user, months=form.cleaned_data["months"]
                )
                self.message_user(request, f"Extended; now due {item.due_at:%Y-%m-%d}.")
            elif op == "complete":
                form = CompleteForm(request.POST)
                form.is_valid()
                rights.complete_rights_request(
                    item, actor=request.user, resolution=form.cleaned_data.get("resolution", "")
                )
                self.message_user(request, "Completed.")
            else:
                raise ConsentError("rights.invalid", "Unknown operation.")
        except ConsentError as err:
            self.message_user(request, err.message, messages.ERROR)
        return redirect("admin:consent_rightsrequest_change", item.pk)
