"""What the visitor is shown and what the site stores in their browser."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from consent import jsonfields
from consent.models import Purpose, Site, Vendor
from cookies import tcfrules


class Storage(models.TextChoices):
    COOKIE = "cookie", "Cookie"
    LOCAL_STORAGE = "local_storage", "localStorage"
    SESSION_STORAGE = "session_storage", "sessionStorage"
    PIXEL = "pixel", "Pixel / web beacon"


class CookieDeclaration(models.Model):
    """A cookie (or storage item) the site sets, by exact name or a `*` pattern."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="cookie_declarations")
    name = models.CharField(max_length=200, help_text="Exact name, or a pattern with * (e.g. _ga_*).")
    domain = models.CharField(max_length=253, blank=True)
    storage = models.CharField(max_length=16, choices=Storage.choices, default=Storage.COOKIE)
    lifetime_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Empty for a session cookie.")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="cookie_declarations")
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="cookies")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["site", "purpose__position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name", "domain", "storage"], name="cookie_declared_once")
        ]

    def __str__(self):
        return self.name

    @property
    def is_pattern(self):
        return "*" in self.name


class BannerVersion(models.Model):
    """What the visitor was shown: texts per language, purposes and vendors, frozen at publishing."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="banner_versions")
    version = models.PositiveIntegerField(null=True, blank=True, help_text="Assigned when published.")
    texts = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"en": {"title": ..., "body": ..., "accept_all": ..., "reject_all": ..., "choose": ...}}',
    )
    # Snapshot taken at publishing: the config served to the banner, without texts per language.
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["site", "-version", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "version"], name="banner_version_unique_per_site"),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(version__isnull=False),
                name="published_banner_has_version",
            ),
        ]

    def __str__(self):
        return f"{self.site.key} banner v{self.version or 'draft'}"

    def clean(self):
        jsonfields.validate_fields(self, ("texts",))


class ObservedCookie(models.Model):
    """A cookie name the banner found on a page that no declaration covers (names only, no values)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="observed_cookies")
    name = models.CharField(max_length=200)
    page = models.CharField(max_length=500, blank=True, help_text="Path where it was last seen.")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    times_seen = models.PositiveIntegerField(default=1)
    declared = models.ForeignKey(CookieDeclaration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["site", "-last_seen"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="observed_cookie_once_per_site")]

    def __str__(self):
        return self.name


class GlobalVendorList(models.Model):
    """One version of IAB Europe's Global Vendor List (vendor-list.json v3), as downloaded.

    The newest version is the one in use; the platform serves each TCF site its subset of it
    from its own host, so visitors' browsers never call the IAB's servers.
    """

    version = models.PositiveIntegerField(unique=True, help_text="vendorListVersion")
    tcf_policy_version = models.PositiveSmallIntegerField()
    last_updated = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(help_text="The vendor-list.json document (v3 shape).")
    translations = models.JSONField(
        default=dict, blank=True, help_text='{"fr": purposes-fr.json, ...}: standard texts in other languages.'
    )
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = "Global Vendor List version"

    def __str__(self):
        return f"GVL v{self.version}"


class TcfSettings(models.Model):
    """A site's IAB TCF set-up: whether it uses TCF, the GVL vendors it works with, and its own
    purposes and restrictions as publisher (see docs/tcf.md)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="tcf")
    enabled = models.BooleanField(default=False)
    vendor_ids = models.JSONField(default=list, blank=True, help_text="GVL ids of the vendors the site works with.")
    publisher_cc = models.CharField(
        max_length=2, default="FR", help_text="The publisher's country (ISO 3166-1 alpha-2), written in TC strings."
    )
    publisher_purposes = models.JSONField(
        default=list, blank=True, help_text="TCF purpose ids the publisher itself processes on consent, e.g. [1, 7]."
    )
    publisher_restrictions = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"purpose": 2, "type": 1, "vendors": [755]}]; type 0 not allowed, 1 require consent, 2 require LI.',
    )
    google_ac_ids = models.JSONField(
        default=list, blank=True, help_text="Google ad tech provider ids (not in the GVL) for the addtlConsent string."
    )
    vendor_purposes = models.JSONField(
        default=dict, blank=True, editable=False, help_text="What each chosen vendor declared when last asked."
    )
    reask_gvl_version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Choices made under an older GVL version are asked again."
    )

    class Meta:
        verbose_name = "TCF settings"
        verbose_name_plural = "TCF settings"

    def __str__(self):
        return f"TCF for {self.site.key}"

    def clean(self):
        tcfrules.validate_settings(self)
