"""The consent ledger.

`ConsentEvent` is the proof: append-only (database triggers refuse UPDATE and DELETE, see
`consent.ledger`), one row per purpose decision, hash-chained per subject. `ConsentState` is
the current decision per (subject, purpose[, vendor]), written in the same transaction, and is
what fast reads use. Everything else describes the site and what the visitor was shown.

Over 400 lines on purpose: Django keeps an app's models in one module, and the ledger's models share
their constraints and choices.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from consent import jsonfields, netguard, site_checks

# What a recorded consent means rests on these fields; the database refuses to change them
# once an event references the row (see consent.ledger.MEANING_GUARDS).
PURPOSE_MEANING_FIELDS = ("site", "key", "legal_basis", "essential")
VENDOR_MEANING_FIELDS = ("site", "key")
MEANING_FROZEN = (
    "This {what} has recorded consents, so its {fields} cannot change: that would change what "
    "people agreed to. Create a new {what} or publish a material policy change that asks again."
)


def frozen_changes(instance, fields, has_events):
    """The meaning fields of a saved row that differ from the stored ones, if events pin them."""
    if instance.pk is None:
        return []
    columns = {f: instance._meta.get_field(f).attname for f in fields}
    stored = type(instance).objects.filter(pk=instance.pk).values(*columns.values()).first()
    if stored is None:
        return []
    changed = [f for f, column in columns.items() if stored[column] != getattr(instance, column)]
    return changed if changed and has_events() else []


def meaning_error(what, changed):
    names = ", ".join(f.replace("_", " ") for f in changed)
    return ValidationError(MEANING_FROZEN.format(what=what, fields=names), code="meaning_frozen")


def _new_site_secret():
    return secrets.token_urlsafe(32)


class Regime(models.TextChoices):
    OPT_IN = "opt_in", "Opt-in (GDPR, ePrivacy)"
    OPT_OUT = "opt_out", "Opt-out (CCPA/CPRA)"
    NOTICE = "notice", "Notice only (no consent law)"


class IpHandling(models.TextChoices):
    NONE = "none", "Not stored"
    TRUNCATED = "truncated", "Truncated (IPv4 /24, IPv6 /48)"
    HASHED = "hashed", "Keyed hash of the truncated address"


class Site(models.Model):
    """One property of a controller; several domains and languages may share it."""

    key = models.SlugField(max_length=64, unique=True, help_text="Public key used by the banner.")
    name = models.CharField(max_length=200)
    secret = models.CharField(
        max_length=128,
        default=_new_site_secret,
        help_text="Shared with the site's back end to sign subject tokens (HMAC-SHA256).",
    )
    allowed_origins = models.JSONField(default=list, blank=True, help_text='e.g. ["https://www.example.com"]')
    languages = models.JSONField(default=list, blank=True, help_text='e.g. ["en", "fr"]')
    default_language = models.CharField(max_length=16, default="en")
    regime = models.CharField(max_length=16, choices=Regime.choices, default=Regime.OPT_IN)
    regime_by_country = models.JSONField(
        default=dict, blank=True, help_text='Overrides by ISO country or region, e.g. {"US-CA": "opt_out"}'
    )
    regime_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per regime: re-ask interval, lifetime, sensitive purposes, e.g. {"opt_out": {"reask_days": 365, '
        '"sensitive": ["financial_incentive"]}, "notice": {"display": "none"}}',
    )
    default_jurisdiction = models.CharField(
        max_length=8, blank=True, help_text="Recorded when neither the geo header nor the IP database says, e.g. FR."
    )
    cookie_domain = models.CharField(
        max_length=253,
        blank=True,
        help_text="Share the decision across subdomains, e.g. .example.com (a parent of an allowed origin).",
    )
    consent_lifetime_days = models.PositiveIntegerField(
        default=180, validators=[MinValueValidator(1), MaxValueValidator(395)]
    )
    notice_period_days = models.PositiveIntegerField(default=30)
    # Retention (`manage.py apply_retention`, docs/retention.md): superseded consent events older
    # than this are compacted away (the decision in force always stays); empty keeps them all.
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(36500)],
        help_text="Days superseded consent records are kept; empty: kept for ever.",
    )
    data_retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(36500)],
        help_text="Days analytics data (daily consent statistics, webhook delivery logs) is kept; empty: for ever.",
    )
    ip_handling = models.CharField(max_length=16, choices=IpHandling.choices, default=IpHandling.TRUNCATED)
    age_of_digital_consent = models.PositiveSmallIntegerField(
        default=16, validators=[MinValueValidator(13), MaxValueValidator(18)]
    )
    dpo_email = models.EmailField(blank=True)
    # Rights requests: unset means one calendar month (GDPR Art. 12(3)); a site whose policy
    # promises a number of days (e.g. "within 30 days") sets it, and the days a complex request
    # may take in total (e.g. "60 when complex"; unset: three months).
    rights_deadline_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days to answer a rights request, if the policy promises days; empty: one month.",
    )
    rights_complex_deadline_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days after receipt a complex request may take in total; empty: three months.",
    )
    policy_url = models.URLField(blank=True)
    consent_mode = models.JSONField(
        default=dict,
        blank=True,
        help_text='Purpose key to Google Consent Mode types, e.g. {"analytics": ["analytics_storage"]}',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_lifetime_days__gte=1, consent_lifetime_days__lte=395),
                name="site_lifetime_at_most_13_months",
            ),
            models.CheckConstraint(
                condition=Q(age_of_digital_consent__gte=13, age_of_digital_consent__lte=18),
                name="site_age_of_consent_13_to_18",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        jsonfields.validate_fields(
            self, ("allowed_origins", "languages", "regime_by_country", "regime_settings", "consent_mode")
        )
        errors = site_checks.site_errors(self)
        first, longest = self.rights_deadline_days, self.rights_complex_deadline_days
        if first and longest and longest < first:
            errors["rights_complex_deadline_days"] = ["A complex request cannot be due sooner than a simple one."]
        if errors:
            raise ValidationError(errors)

    @property
    def consent_lifetime(self):
        return timedelta(days=self.consent_lifetime_days)


class ApiKey(models.Model):
    """A server-to-server secret. Only its SHA-256 is kept; the key is shown once."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list, blank=True, help_text="Empty means every scope.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self):
        return f"{self.site.key}:{self.prefix}"


class PurposeKind(models.TextChoices):
    COOKIE = "cookie", "Cookie category"
    PROCESSING = "processing", "Processing purpose"
    COMMUNICATION = "communication", "Communication"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"
    PUSH = "push", "Push notification"


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
    CONTRACT = "contract", "Contract"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"


class Purpose(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="purposes")
    key = models.SlugField(max_length=64)
    kind = models.CharField(max_length=16, choices=PurposeKind.choices, default=PurposeKind.COOKIE)
    legal_basis = models.CharField(max_length=24, choices=LegalBasis.choices, default=LegalBasis.CONSENT)
    essential = models.BooleanField(default=False, help_text="Always on; cannot be refused.")
    gpc_sensitive = models.BooleanField(
        default=False, help_text="Sale, sharing or targeted advertising: a GPC signal opts out."
    )
    requires_parental_consent = models.BooleanField(
        default=False, help_text="Below the site's age of digital consent a parent must give it."
    )
    channel = models.CharField(
        max_length=8,
        choices=Channel.choices,
        blank=True,
        help_text="For a communication purpose: the one channel it covers (a topic on several channels "
        "is one purpose per channel, e.g. marketing_email and marketing_sms).",
    )
    double_opt_in = models.BooleanField(
        default=False, help_text="A grant is pending until the person confirms it from an email link."
    )
    position = models.PositiveSmallIntegerField(default=0)
    translations = models.JSONField(
        default=dict, blank=True, help_text='{"en": {"name": "...", "description": "..."}, "fr": {...}}'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="purpose_key_unique_per_site")]

    def __str__(self):
        return self.key

    def clean(self):
        jsonfields.validate_fields(self, ("translations",))
        changed = frozen_changes(self, PURPOSE_MEANING_FIELDS, self.has_events)
        if changed:
            raise meaning_error("purpose", changed)

    def has_events(self):
        return self.pk is not None and ConsentEvent.objects.filter(purpose_id=self.pk).exists()

    @property
    def always_allowed(self):
        """Essential, contract and legal-obligation purposes are never refused."""
        return self.essential or self.legal_basis in (LegalBasis.CONTRACT, LegalBasis.LEGAL_OBLIGATION)

    def text(self, language, field):
        """The text in `language`, else English, else a default; any stored shape is tolerated."""
        translations = self.translations if isinstance(self.translations, dict) else {}
        for lang in (language, "en"):
            values = translations.get(lang)
            value = values.get(field) if isinstance(values, dict) else None
            if isinstance(value, str) and value:
                return value
        return self.key.replace("_", " ").capitalize() if field == "name" else ""


class Vendor(models.Model):
    """A third party or processor that receives data for some purposes."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="vendors")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, blank=True)
    policy_url = models.URLField(blank=True)
    purposes = models.ManyToManyField(Purpose, related_name="vendors", blank=True)
    # {"fr": {"name": "..."}}: the name in other languages, when it is a description, not a brand.
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="vendor_key_unique_per_site")]

    def __str__(self):
        return self.name

    def clean(self):
        changed = frozen_changes(self, VENDOR_MEANING_FIELDS, self.has_events)
        if changed:
            raise meaning_error("vendor", changed)

    def has_events(self):
        return self.pk is not None and ConsentEvent.objects.filter(vendor_id=self.pk).exists()

    def text(self, language, field="name"):
        """The vendor's name (or another field) in `language`, else its own name."""
        value = ((self.translations or {}).get(language) or {}).get(field)
        return value or (self.name if field == "name" else "")


class PolicyKind(models.TextChoices):
    PRIVACY = "privacy", "Privacy policy"
    COOKIE = "cookie", "Cookie policy"


class PolicyVersion(models.Model):
    """A version of a privacy or cookie policy. Drafts are editable; published ones never change."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="policy_versions")
    kind = models.CharField(max_length=16, choices=PolicyKind.choices, default=PolicyKind.PRIVACY)
    version = models.PositiveIntegerField(null=True, blank=True, help_text="Assigned when published.")
    url = models.URLField(blank=True)
    text = models.TextField(blank=True)
    change_summary = models.TextField(blank=True)
    material = models.BooleanField(default=False, help_text="Re-asks the affected purposes.")
    affected_purposes = models.ManyToManyField(Purpose, blank=True, related_name="policy_changes")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["site", "-version", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "version"], name="policy_version_unique_per_site"),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(version__isnull=False, effective_at__isnull=False),
                name="published_policy_has_version_and_effective_date",
            ),
        ]

    def __str__(self):
        return f"{self.site.key} {self.kind} v{self.version or 'draft'}"

    @property
    def is_published(self):
        return self.published_at is not None


class Subject(models.Model):
    """A person as one site knows them. Identifiers live in aliases so that erasure can drop them."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="subjects")
    email = models.EmailField(blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # Head of this subject's hash chain, advanced under a row lock when events are appended.
    last_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, default="")

    def __str__(self):
        return f"subject {self.pk}"


class AliasKind(models.TextChoices):
    USER = "user", "Site user id"
    VISITOR = "visitor", "Banner visitor id"


class SubjectAlias(models.Model):
    """A reference by which a site names a subject: its own user id, or a banner visitor id."""

    # The unique (site, value, kind) index serves look-ups by site; no separate index on site.
    # Value before kind: every look-up names the value and searches one or both kinds, and with
    # this order both kinds of a value are one index descent (a bulk check probes 10,000 values).
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=8, choices=AliasKind.choices)
    value = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "value", "kind"], name="alias_unique_per_site"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.value}"


class Decision(models.TextChoices):
    GRANTED = "granted", "Granted"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class Method(models.TextChoices):
    ACCEPT_ALL = "accept_all", "Banner: accept all"
    REJECT_ALL = "reject_all", "Banner: reject all"
    CUSTOM = "custom", "Banner: custom choice"
    DISMISS = "dismiss", "Banner closed without choosing"
    PREFERENCE_CENTRE = "preference_centre", "Preference centre"
    API = "api", "Site back end (API)"
    EMAIL_LINK = "email_link", "Email unsubscribe link"
    GPC = "gpc", "Global Privacy Control signal"
    EXPIRY = "expiry", "Expiry"
    ERASURE = "erasure", "Erasure request"
    CROSS_DOMAIN = "cross_domain", "Carried from another of the site's domains"
    DOUBLE_OPT_IN = "double_opt_in", "Confirmed from an email link (double opt-in)"
    SMS_LINK = "sms_link", "Text message opt-out link"
    SMS_KEYWORD = "sms_keyword", "Text message STOP keyword"


class ConsentEvent(models.Model):
    """One purpose decision. Append-only and hash-chained per subject; never updated or deleted.

    Every index costs each decision a write, so foreign keys already leading a composite index
    (site, subject) get none of their own, nor does the rarely set vendor.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField(help_text="Position in the subject's chain, from 1.")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    decision = models.CharField(max_length=16, choices=Decision.choices)
    version = models.PositiveIntegerField(help_text="1, 2, 3 ... per subject, purpose and vendor.")
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    banner_version = models.PositiveIntegerField(null=True, blank=True)
    method = models.CharField(max_length=24, choices=Method.choices)
    jurisdiction = models.CharField(max_length=8, blank=True)
    language = models.CharField(max_length=16, blank=True)
    recorded_at = models.DateTimeField()
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    receipt_id = models.UUIDField(null=True, blank=True, help_text="Client idempotency key of the request.")
    evidence = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "seq"], name="event_seq_unique_per_subject"),
            models.UniqueConstraint(fields=["hash"], name="event_hash_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1) & Q(version__gte=1), name="event_seq_and_version_positive"),
        ]
        indexes = [
            models.Index(fields=["site", "recorded_at"], name="event_site_time"),
            models.Index(fields=["site", "purpose", "recorded_at"], name="event_site_purpose_time"),
            models.Index(fields=["receipt_id"], name="event_receipt"),
            # Only vendor-level events (rare) pay for it: "has this vendor recorded consents?"
            models.Index(fields=["vendor"], condition=Q(vendor__isnull=False), name="event_vendor"),
        ]

    def __str__(self):
        return f"{self.purpose_id}:{self.decision}#{self.version}"


class ConsentState(models.Model):
    """The current decision per (subject, purpose[, vendor]); one row, updated with each event."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="states")
    # Purpose look-ups use the `state_purpose` index; the vendor is rarely set.
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="states", db_index=False)
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.CharField(max_length=16, choices=Decision.choices)
    version = models.PositiveIntegerField()
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    banner_version = models.PositiveIntegerField(null=True, blank=True)
    method = models.CharField(max_length=24, choices=Method.choices)
    updated_at = models.DateTimeField()
    # Events are never deleted, so nothing looks states up by event: no index.
    event = models.ForeignKey(ConsentEvent, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "purpose"], condition=Q(vendor__isnull=True), name="state_unique_purpose"
            ),
            models.UniqueConstraint(
                fields=["subject", "purpose", "vendor"],
                condition=Q(vendor__isnull=False),
                name="state_unique_purpose_vendor",
            ),
        ]
        # No index holds a column a decision changes (state, version, event, ...), so on PostgreSQL
        # a returning visitor's state moves in place (a HOT update, with the table's fill factor
        # leaving room on its page: migration 0017) instead of adding an entry to every index.
        indexes = [models.Index(fields=["purpose"], name="state_purpose")]

    def __str__(self):
        return f"{self.purpose_id}:{self.state}"


class DecisionReceipt(models.Model):
    """What a decision request returned, kept so that a replay of the same id returns it again."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    receipt_id = models.UUIDField()
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="receipts")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request's content.")
    body = models.JSONField()
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "receipt_id"], name="receipt_unique_per_site")]

    def __str__(self):
        return str(self.receipt_id)


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    BANNER = "banner", "In banner"


class Notification(models.Model):
    """A policy-change notice to one subject."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="notifications")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="notifications")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="notifications")
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices, default=NotificationChannel.EMAIL)
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "policy_version", "channel"], name="one_notification_per_subject_policy_channel"
            )
        ]
        indexes = [models.Index(fields=["policy_version", "status"], name="notification_campaign")]

    def __str__(self):
        return f"{self.channel} notice {self.status}"


class RightsRequestKind(models.TextChoices):
    ACCESS = "access", "Access"
    ERASURE = "erasure", "Erasure"
    RECTIFICATION = "rectification", "Rectification"
    RESTRICTION = "restriction", "Restriction of processing"
    PORTABILITY = "portability", "Portability"
    OBJECTION = "objection", "Objection"
    CCPA_KNOW = "ccpa_know", "CCPA: know"
    CCPA_DELETE = "ccpa_delete", "CCPA: delete"
    CCPA_CORRECT = "ccpa_correct", "CCPA: correct"
    CCPA_OPT_OUT = "ccpa_opt_out", "CCPA: opt out of sale or sharing"
    CCPA_LIMIT = "ccpa_limit", "CCPA: limit use of sensitive data"


class RightsRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    EXTENDED = "extended", "Extended"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"


class RightsRequest(models.Model):
    """A data-subject request, due one month after receipt (extendable to three, GDPR Art. 12(3))."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rights_requests")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="rights_requests")
    kind = models.CharField(max_length=16, choices=RightsRequestKind.choices)
    status = models.CharField(max_length=16, choices=RightsRequestStatus.choices, default=RightsRequestStatus.OPEN)
    details = models.TextField(blank=True)
    received_at = models.DateTimeField()
    due_at = models.DateTimeField()
    extension_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["site", "status", "due_at"], name="rights_queue")]

    def __str__(self):
        return f"{self.get_kind_display()} request due {self.due_at:%Y-%m-%d}"


class AuditEvent(models.Model):
    """A staff or system action: publish, edit, export, erasure, notification. Append-only."""

    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # PROTECT: the trail is append-only, so an actor cannot be deleted from under it (deactivate instead).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Username, api-key prefix or 'system'.")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["site", "created_at"], name="audit_site_time")]

    def __str__(self):
        return f"{self.action} by {self.actor_label}"


def _new_webhook_secret():
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An endpoint of the site's back end told of every consent change, signed with HMAC-SHA256."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=_new_webhook_secret, help_text="Signs each delivery.")
    only_withdrawals = models.BooleanField(default=False, help_text="Send only withdrawals, objections and expiries.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.url

    def clean(self):
        try:
            netguard.check_url(self.url)
        except netguard.UnsafeTarget as err:
            raise ValidationError({"url": str(err)}) from None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One change notice to one webhook, kept until delivered so that none is lost."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"delivery {self.pk} {self.status}"


class DailyConsentStat(models.Model):
    """Purpose-level events per day, purpose, decision and method: the dashboard's rates and splits.

    Written only by `features.rollup.roll_up`, which adds the events above the site's watermark.
    Vendor-level events are not counted (the dashboard leaves them out). Days are in TIME_ZONE.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    method = models.CharField(max_length=24, choices=Method.choices)
    events = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "purpose", "decision", "method"], name="daily_consent_stat_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.purpose_id} {self.decision} {self.method}: {self.events}"


class DailyAudienceStat(models.Model):
    """Purpose-level events per day, jurisdiction, language and decision: the audience breakdowns.

    A table of its own rather than more columns on `DailyConsentStat`, whose rows would multiply
    by every jurisdiction and language.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    jurisdiction = models.CharField(max_length=8, blank=True)
    language = models.CharField(max_length=16, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    events = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "jurisdiction", "language", "decision"], name="daily_audience_stat_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.jurisdiction}/{self.language} {self.decision}: {self.events}"


class RollupWatermark(models.Model):
    """The last ConsentEvent id of a site counted in the daily stats; later events are counted live."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="+")
    last_event_id = models.BigIntegerField(default=0)
    rolled_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.site_id} up to event {self.last_event_id}"


class LedgerCheckpoint(models.Model):
    """A signed summary of one site's ledger up to an event id: Merkle roots over its events and its
    subjects' chain heads. Append-only; `manage.py verify_ledger` checks each one against the rows.

    `buckets` keeps the root of every id range the signed roots are built from, so that a mismatch
    is traced to the range of events (or of subjects) that changed.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    upto_event_id = models.BigIntegerField(help_text="Covers the site's events with ids up to this one.")
    event_count = models.BigIntegerField()
    events_root = models.CharField(max_length=64)
    head_count = models.BigIntegerField()
    heads_root = models.CharField(max_length=64)
    bucket_size = models.PositiveIntegerField()
    buckets = models.JSONField(default=dict)
    previous = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the site's previous checkpoint's signature: a chain."
    )
    kid = models.CharField(max_length=64, help_text="Id of the key that signed it (see the JWKS).")
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["site", "id"]
        indexes = [models.Index(fields=["site", "upto_event_id"], name="checkpoint_site_upto")]

    def __str__(self):
        return f"checkpoint {self.pk} of site {self.site_id} up to event {self.upto_event_id}"


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"


class PendingSubscription(models.Model):
    """A request to receive a double opt-in purpose, waiting for the person to confirm it.

    Nothing is granted until then; the confirmation records the `granted` event, whose evidence
    repeats what is kept here (when asked, when confirmed, the address, the message sent).
    A request not confirmed by `expires_at` opens nothing.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="subscriptions")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    via = models.CharField(max_length=24, help_text="api or preference_centre")
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING)
    requested_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    message_sha256 = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True, help_text="The confirmation email as sent (RFC 5322).")
    event = models.ForeignKey(ConsentEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["subject", "purpose", "status"], name="subscription_subject")]

    def __str__(self):
        return f"subscription {self.pk} {self.status}"


class LedgerCompaction(models.Model):
    """One retention run over a site's ledger: which superseded events it removed, as a Merkle
    root over their (id, hash) leaves, signed with the ledger key. Append-only."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    cutoff = models.DateTimeField(help_text="Superseded events recorded before this were removed.")
    checkpoint = models.ForeignKey(
        LedgerCheckpoint, on_delete=models.PROTECT, related_name="+", help_text="Signed just before the removal."
    )
    event_count = models.BigIntegerField()
    removed_root = models.CharField(max_length=64)
    kid = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["site", "id"]

    def __str__(self):
        return f"compaction {self.pk} of site {self.site_id}: {self.event_count} events"


class CompactedEvent(models.Model):
    """What stays of an event removed by retention: its place in the chain and its hash, no content.

    The chain still links through it and older checkpoints still recompute; the personal data
    (time, address, agent, evidence, the decision) is gone. Append-only.
    """

    id = models.BigIntegerField(primary_key=True, help_text="The removed event's id.")
    compaction = models.ForeignKey(LedgerCompaction, on_delete=models.PROTECT, related_name="events")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", db_index=False)
    seq = models.PositiveIntegerField()
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    receipt_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "seq"], name="compacted_seq_unique_per_subject")]
        indexes = [models.Index(fields=["site", "id"], name="compacted_site_id")]

    def __str__(self):
        return f"compacted event {self.pk}"
