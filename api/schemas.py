"""Response shapes for the OpenAPI schema (what the API answers).

What the API accepts lives in api.inputs: serializers that validate the requests and describe
them in the schema at once.
"""

from rest_framework import serializers

from consent.models import Decision


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. decision.unknown_purpose.")
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Dotted field path to messages, e.g. {"decisions.marketing": ["Unknown purpose ..."]}.',
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


class SiteInfoSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    default_language = serializers.CharField()
    consent_lifetime_days = serializers.IntegerField()
    regime = serializers.CharField()
    regime_by_country = serializers.DictField(child=serializers.CharField())
    policy_url = serializers.CharField()


class PolicyInfoSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    url = serializers.CharField()
    published_at = serializers.DateTimeField()
    effective_at = serializers.DateTimeField()
    material = serializers.BooleanField()
    change_summary = serializers.CharField()


class ConfigPurposeSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.CharField()
    legal_basis = serializers.CharField()
    essential = serializers.BooleanField()
    gpc_sensitive = serializers.BooleanField()
    requires_parental_consent = serializers.BooleanField()
    vendors = serializers.ListField(child=serializers.CharField())
    min_policy_version = serializers.IntegerField()


class ConfigVendorSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    country = serializers.CharField()
    policy_url = serializers.CharField()


class ConfigCookieSerializer(serializers.Serializer):
    name = serializers.CharField()
    domain = serializers.CharField()
    storage = serializers.CharField()
    purpose = serializers.CharField()
    vendor = serializers.CharField(allow_null=True)
    lifetime_seconds = serializers.IntegerField(allow_null=True)
    description = serializers.CharField()


class BannerConfigSerializer(serializers.Serializer):
    site = SiteInfoSerializer()
    language = serializers.CharField()
    banner_version = serializers.IntegerField()
    policy_version = serializers.IntegerField(allow_null=True)
    policy = PolicyInfoSerializer(allow_null=True)
    purposes = ConfigPurposeSerializer(many=True)
    vendors = ConfigVendorSerializer(many=True)
    cookies = ConfigCookieSerializer(many=True)
    texts = serializers.DictField(child=serializers.CharField())
    consent_mode = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ReceiptEntrySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Decision.choices)
    version = serializers.IntegerField()


class ReceiptSignatureSerializer(serializers.Serializer):
    alg = serializers.CharField(help_text="EdDSA (Ed25519).")
    kid = serializers.CharField(help_text="Key id in /.well-known/consent-ledger-keys.")
    value = serializers.CharField(help_text="base64url signature over the canonical JSON of consent_record.")


class GpcOutcomeSerializer(serializers.Serializer):
    signal = serializers.BooleanField(help_text="The request carried Sec-GPC: 1.")
    binding = serializers.BooleanField(help_text="The signal overrides grants here (opt-out or notice regime, US).")
    denied = serializers.ListField(child=serializers.CharField(), help_text="Purposes denied by the signal.")
    overrode = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Purposes the request granted but the signal denied."
    )


class ReceiptSerializer(serializers.Serializer):
    receipt_id = serializers.UUIDField()
    recorded_at = serializers.DateTimeField()
    site = serializers.CharField()
    subject = serializers.CharField()
    method = serializers.CharField()
    decisions = serializers.DictField(child=ReceiptEntrySerializer())
    vendors = serializers.DictField(child=serializers.DictField(child=ReceiptEntrySerializer()), required=False)
    banner_version = serializers.IntegerField(allow_null=True)
    policy_version = serializers.IntegerField(allow_null=True)
    consent_record = serializers.DictField(help_text="The ISO/IEC TS 27560 shaped record that is signed.")
    signature = ReceiptSignatureSerializer()
    jurisdiction = serializers.CharField(allow_blank=True, help_text="Recorded on every event, e.g. FR or US-CA.")
    regime = serializers.ChoiceField(choices=["opt_in", "opt_out", "notice"])
    gpc = GpcOutcomeSerializer(required=False)
    tcf = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="TCF sites: the tc_string (and ac_string) recorded."
    )


class JurisdictionSerializer(serializers.Serializer):
    jurisdiction = serializers.CharField(allow_blank=True, help_text="CC or CC-RR; empty when unknown.")
    regime = serializers.ChoiceField(choices=["opt_in", "opt_out", "notice"])
    gpc = serializers.BooleanField(help_text="The request carried Sec-GPC: 1.")


class PurposeStateSerializer(serializers.Serializer):
    state = serializers.CharField(allow_null=True)
    allowed = serializers.BooleanField()
    version = serializers.IntegerField(allow_null=True)
    legal_basis = serializers.CharField()
    essential = serializers.BooleanField()
    needs_reconsent = serializers.BooleanField()
    expired = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)
    policy_version = serializers.IntegerField(allow_null=True)
    vendors = serializers.DictField(child=serializers.DictField(), required=False)


class HistoryEntrySerializer(serializers.Serializer):
    purpose = serializers.CharField()
    vendor = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    version = serializers.IntegerField()
    method = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    policy_version = serializers.IntegerField(allow_null=True)
    banner_version = serializers.IntegerField(allow_null=True)
    language = serializers.CharField()
    jurisdiction = serializers.CharField(allow_blank=True)
    receipt_id = serializers.UUIDField(allow_null=True)
    evidence = serializers.DictField()
    hash = serializers.CharField()


class SubjectConsentsSerializer(serializers.Serializer):
    subject = serializers.CharField()
    regime = serializers.ChoiceField(choices=["opt_in", "opt_out", "notice"], help_text="Of the latest jurisdiction.")
    purposes = serializers.DictField(child=PurposeStateSerializer())
    history = HistoryEntrySerializer(many=True)


class CheckResponseSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    vendor = serializers.CharField(required=False)
    allowed = serializers.ListField(child=serializers.CharField())
    denied = serializers.ListField(child=serializers.CharField())


class AuditRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="consent:<id> or audit:<id>.")
    time = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["consent", "staff", "notification"])
    action = serializers.CharField(help_text="The decision for consent rows, else the action name.")
    subject = serializers.CharField(allow_null=True)
    purpose = serializers.CharField(allow_null=True)
    vendor = serializers.CharField(allow_null=True)
    method = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    policy_version = serializers.IntegerField(allow_null=True)
    banner_version = serializers.IntegerField(allow_null=True)
    receipt_id = serializers.UUIDField(allow_null=True)
    actor = serializers.CharField(allow_null=True)
    object = serializers.CharField(allow_null=True)
    data = serializers.DictField()


class AuditPageSerializer(serializers.Serializer):
    results = AuditRowSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.URLField(allow_null=True)


class HandoverTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    fragment = serializers.CharField(help_text="Append to the link as #<fragment>=<token>.")
    expires_in = serializers.IntegerField(help_text="Seconds the token stays valid.")
