"""What the visitor is shown and what the site stores in their browser."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from consent import jsonfields
from consent.models import Purpose, Site, Vendor


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
