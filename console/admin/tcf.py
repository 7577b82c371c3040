"""The console's IAB TCF pages: the Global Vendor List versions loaded by `update_gvl`, and each
site's TCF settings, where a DPO chooses from the GVL the vendors the site works with."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple

from console.admin.ledger import AuditedAdmin
from cookies.models import GlobalVendorList, TcfSettings
from cookies.tcf import current_gvl, save_settings


@admin.register(GlobalVendorList)
class GlobalVendorListAdmin(admin.ModelAdmin):
    """Loaded by `manage.py update_gvl` (daily); read-only here."""

    list_display = ("version", "tcf_policy_version", "last_updated", "vendor_count", "languages", "loaded_at")
    fields = ("version", "tcf_policy_version", "last_updated", "vendor_count", "languages", "loaded_at")
    readonly_fields = fields

    @admin.display(description="Vendors")
    def vendor_count(self, obj):
        return sum(1 for v in obj.data.get("vendors", {}).values() if not v.get("deletedDate"))

    @admin.display(description="Translations")
    def languages(self, obj):
        return ", ".join(sorted(obj.translations)) or "English only"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def vendor_choices():
    gvl = current_gvl()
    if gvl is None:
        return []
    vendors = gvl.data.get("vendors", {}).values()
    return sorted(
        ((v["id"], f"{v['name']} (#{v['id']})") for v in vendors if not v.get("deletedDate")),
        key=lambda c: c[1].lower(),
    )


class TcfSettingsForm(forms.ModelForm):
    vendors = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=FilteredSelectMultiple("vendors", is_stacked=False),
        help_text="The GVL vendors this site works with: shown to visitors and written in TC strings.",
    )

    class Meta:
        model = TcfSettings
        fields = (
            "site",
            "enabled",
            "vendors",
            "publisher_cc",
            "publisher_purposes",
            "publisher_restrictions",
            "google_ac_ids",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendors"].choices = vendor_choices()
        self.fields["vendors"].initial = self.instance.vendor_ids

    def clean(self):
        data = super().clean()
        self.instance.vendor_ids = sorted(data.get("vendors") or [])
        return data


@admin.register(TcfSettings)
class TcfSettingsAdmin(AuditedAdmin):
    form = TcfSettingsForm
    list_display = ("site", "enabled", "vendor_count", "publisher_cc", "reask_gvl_version")
    list_filter = ("enabled",)
    readonly_fields = ("reask_gvl_version",)
    list_select_related = ("site",)

    @admin.display(description="Vendors")
    def vendor_count(self, obj):
        return len(obj.vendor_ids)

    def save_model(self, request, obj, form, change):
        # save_settings validates, moves the re-ask point when vendors were added, and drops
        # the site's cached embed; then the audit entry is written as for any console change.
        save_settings(obj)
        super().save_model(request, obj, form, change)
