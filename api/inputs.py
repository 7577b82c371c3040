"""What the API accepts: DRF serializers that both validate request bodies and describe them in
the OpenAPI schema, so the two cannot drift.

The fields keep the API's own messages and stay strict (no coercion of numbers to strings or of
"3" to 3). Failures become the API's error envelope through `validated()`, with the code the
endpoint names (e.g. `decision.invalid`) and every field at fault. Checks that need the site
(published versions, known purposes) run in `validate_*` methods with the catalogue in the
context. Decisions and vendor choices are passed through to the ledger service, which owns
their meaning and its specific errors; the schema documents their shape.

The banner's own decision (`SiteDecisionsView`) keeps a hand-tuned loop over the same rules
(`text_error`, `version_error`, `receipt_id_error`) because it is the hot path; a differential
test holds the two to the same verdicts.
"""

import re
import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from api.errors import flatten_errors
from consent import jurisdiction as geo
from consent.exceptions import ConsentError
from consent.models import Decision, Method, Purpose
from consent.services.decisions import MAX_REF_LENGTH
from cookies.drift import MAX_NAME_LENGTH, MAX_NAMES, MAX_PAGE_LENGTH, validate_report
from features.centre.preferences import LINK_MAX_TTL, LINK_TTL
from features.channels import MAX_KEYWORD_TEXT

DECISION_VALUES = [Decision.GRANTED, Decision.DENIED, Decision.WITHDRAWN]
BANNER_METHODS = [Method.ACCEPT_ALL, Method.REJECT_ALL, Method.CUSTOM, Method.DISMISS, Method.GPC]
SERVER_METHODS = [Method.API, Method.PREFERENCE_CENTRE, Method.EMAIL_LINK]
MAX_VERSION = 2**31 - 1
MAX_CHECK_SUBJECTS = 10_000
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
REQUIRED = "This field is required."
UUID_EXAMPLE = "Must be a UUID, e.g. 6f1c2b9e-6d7a-4f7e-9a61-0c3f5b2d8e41."


# --- the rules, shared with the banner's hand-tuned path -------------------------------------


def text_error(value, *, required=False, max_length=128):
    """Why `value` is no acceptable text field, or None."""
    if not isinstance(value, str):
        return "Expected a string."
    if required and not value.strip():
        return "Must not be blank."
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if CONTROL.search(value):
        return "Must not contain control characters."
    return None


def version_error(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VERSION:
        return "Expected a whole number >= 0."
    return None


def flag_error(value):
    """A JSON boolean or null, never coerced from a string or a number."""
    if value is None or isinstance(value, bool):
        return None
    return "Expected true or false."


def parse_receipt_id(value):
    """The UUID, or None if `value` is not one."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value)
        except ValueError:
            return None
    return None


def unpublished_error(value, known, what):
    if value in known:
        return None
    published = ", ".join(str(v) for v in sorted(known)) or "none yet"
    return f"This site has no published {what} version {value} (published: {published})."


def validated(serializer_class, data, code, *, body_code="request.invalid", **context):
    """The validated data, or a ConsentError in the API's envelope naming every bad field.

    `code`: the error code, or a function of the flattened fields giving it."""
    if not isinstance(data, dict):
        raise ConsentError(body_code, "body: Expected a JSON object.", {"body": ["Expected a JSON object."]})
    serializer = serializer_class(data=data, context=context)
    if not serializer.is_valid():
        fields = flatten_errors(serializer.errors)
        first, messages = next(iter(fields.items()))
        raise ConsentError(code(fields) if callable(code) else code, f"{first}: {messages[0]}", fields)
    return serializer.validated_data


def purpose_param(description):
    """The `?purpose=` query parameter of the per-purpose link endpoints, as the schema shows it."""
    return OpenApiParameter(
        "purpose",
        {"type": "string", "minLength": 1, "maxLength": 64},
        OpenApiParameter.QUERY,
        required=True,
        description=description,
    )


def query_purpose(request, site):
    """The site's purpose named by `?purpose=`: 400 when missing or malformed, unknown_purpose when unknown."""
    key = request.query_params.get("purpose")
    message = "This parameter is required." if not key else text_error(key, required=True, max_length=64)
    if message:
        raise ConsentError("request.invalid", f"purpose: {message}", {"purpose": [message]})
    purpose = Purpose.objects.filter(site=site, key=key).first()
    if purpose is None:
        raise ConsentError(
            "decision.unknown_purpose",
            f"Unknown purpose {key!r} for site {site.key!r}.",
            {"purpose": ["Unknown purpose."]},
        )
    return purpose


# --- fields ----------------------------------------------------------------------------------


class Text(serializers.CharField):
    """A string, never coerced; optional ones become `default` ("" unless given) when absent or null."""

    def __init__(self, *, max_length=128, required=False, default="", **kwargs):
        self.text_default = default
        if not required:
            kwargs.setdefault("default", default)
            kwargs["allow_null"] = True
        super().__init__(
            max_length=max_length, required=required, allow_blank=not required, trim_whitespace=False, **kwargs
        )
        self.error_messages["null"] = REQUIRED
        self.validators = []  # the length is checked in to_internal_value, with the API's message

    def validate_empty_values(self, data):
        if data is None and not self.required:
            return True, self.text_default
        return super().validate_empty_values(data)

    def run_validation(self, data=serializers.empty):
        is_empty, value = self.validate_empty_values(data)
        if is_empty:
            return value
        return self.to_internal_value(data)

    def to_internal_value(self, data):
        message = text_error(data, required=self.required, max_length=self.max_length)
        if message:
            raise serializers.ValidationError(message)
        return data


class Version(serializers.IntegerField):
    """A version number: a JSON integer (not a string, not a boolean), null meaning none."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, default=None, min_value=0, max_value=MAX_VERSION, **kwargs)
        self.validators = []

    def to_internal_value(self, data):
        message = version_error(data)
        if message:
            raise serializers.ValidationError(message)
        return data


class Flag(serializers.BooleanField):
    """A JSON boolean (not "true", not 1), null or absent meaning false."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, default=False, **kwargs)

    def to_internal_value(self, data):
        message = flag_error(data)
        if message:
            raise serializers.ValidationError(message)
        return bool(data)


class ReceiptId(serializers.UUIDField):
    def __init__(self, **kwargs):
        super().__init__(help_text="Generated by the client; resending the same id is safe (idempotent).", **kwargs)
        self.error_messages["required"] = self.error_messages["null"] = REQUIRED[:-1] + ": a client-generated UUID."

    def to_internal_value(self, data):
        parsed = parse_receipt_id(data)
        if parsed is None:
            raise serializers.ValidationError(UUID_EXAMPLE)
        return parsed


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "enum": DECISION_VALUES}})
class Decisions(serializers.JSONField):
    """Purpose key to decision; the ledger service checks the keys and values (its own error codes)."""


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": "string", "enum": DECISION_VALUES},
                {"type": "object", "additionalProperties": {"type": "string", "enum": DECISION_VALUES}},
            ]
        },
    }
)
class VendorChoices(serializers.JSONField):
    """Vendor key to a decision for all its purposes, or to {purpose key: decision}."""


@extend_schema_field(OpenApiTypes.INT)
class Age(serializers.JSONField):
    """Given to the service as sent: it validates the age of minors."""


@extend_schema_field(OpenApiTypes.OBJECT)
class ParentalConsent(serializers.JSONField):
    """Given to the service as sent: it validates a parent's consent."""


# --- request bodies --------------------------------------------------------------------------


class DecisionFields(serializers.Serializer):
    """Fields shared by the banner's and the server's decision bodies. Versions must be ones the
    site published (`catalogue` in the context); no policy version means the one in force."""

    id = ReceiptId()
    decisions = Decisions(help_text='Purpose key to decision, e.g. {"analytics": "granted", "advertising": "denied"}.')
    vendors = VendorChoices(required=False, allow_null=True, default=None)
    banner_version = Version()
    policy_version = Version()
    language = Text(max_length=16)
    jurisdiction = Text(
        max_length=8,
        help_text="ISO 3166 code, e.g. FR, US-CA. A trusted geo header or IP database wins on the banner's requests.",
    )
    age = Age(required=False, allow_null=True, help_text="The person's age, where a purpose needs parental consent.")
    parental_consent = ParentalConsent(required=False, allow_null=True, help_text="A parent's consent, with `age`.")

    def validate_banner_version(self, value):
        if value is None:
            return None
        message = unpublished_error(value, self.context["catalogue"].banner_versions, "banner")
        if message:
            raise serializers.ValidationError(message)
        return value

    def validate_policy_version(self, value):
        if value is None:
            return self.context["catalogue"].policy_in_force
        message = unpublished_error(value, self.context["catalogue"].policy_versions, "policy")
        if message:
            raise serializers.ValidationError(message)
        return value

    def validate_jurisdiction(self, value):
        message = geo.field_error(value)
        if message:
            raise serializers.ValidationError(message)
        return value


class BannerDecisionSerializer(DecisionFields):
    visitor_id = Text(max_length=MAX_REF_LENGTH, required=True, help_text="The banner's opaque id for this browser.")
    subject_token = serializers.CharField(
        required=False, help_text="Signed by the site's back end: links this visitor to a site user (see docs)."
    )
    method = serializers.ChoiceField(choices=BANNER_METHODS)
    tc_string = serializers.CharField(
        required=False, max_length=8192, help_text="TCF sites: the IAB TC string of this choice (stored as evidence)."
    )
    ac_string = serializers.CharField(
        required=False, max_length=8192, help_text="TCF sites: Google's Additional Consent string, e.g. 2~1.35~dv.9."
    )
    gpp = serializers.CharField(
        required=False,
        max_length=2048,
        help_text="The IAB GPP string the banner showed the page with this choice (US opt-out regimes); "
        "checked for shape and kept in the decision's evidence.",
    )
    returning = Flag(
        help_text="The banner already holds an earlier choice of this visitor: the server then looks the "
        "visitor up first instead of trying to record a first decision. Only a hint: a wrong one "
        "costs time, never a different outcome."
    )


@extend_schema_field({"type": "string", "enum": SERVER_METHODS, "default": Method.API})
class ServerMethod(serializers.JSONField):
    """Passed to the service, which names a method it does not take (its own error code)."""


class ServerDecisionSerializer(DecisionFields):
    method = ServerMethod(required=False, allow_null=True, default=Method.API)

    def validate_method(self, value):
        return Method.API if value is None else value


def _plain_refs(refs):
    """Every reference a string of 1 to MAX_REF_LENGTH characters without control characters: the
    per-reference rules of CheckRequestSerializer over all 10,000 at once (the faults are single
    characters, so one search over the joined text finds any of them)."""
    if not set(map(type, refs)) <= {str}:  # str subclasses go the slow way, checked one by one
        return False
    lengths = list(map(len, refs))
    if lengths and (min(lengths) < 1 or max(lengths) > MAX_REF_LENGTH):
        return False
    return not CONTROL.search("".join(refs))


@extend_schema_serializer(component_name="Check")  # shown as CheckRequest
class CheckRequestSerializer(serializers.Serializer):
    purpose = Text(max_length=64, required=True)
    subjects = serializers.ListField(child=Text(max_length=MAX_REF_LENGTH, required=True), max_length=10_000)
    vendor = Text(max_length=64, default=None, help_text="Also require that this vendor was not refused.")

    def to_internal_value(self, data):
        # The old hand-written messages: purpose and vendor first, then at most 20 bad references named.
        errors, values = {}, {}
        for name in ("purpose", "vendor"):
            try:
                values[name] = self.fields[name].run_validation(data.get(name, serializers.empty))
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
        catalogue = self.context["catalogue"]
        if values.get("purpose") and values["purpose"] not in catalogue.purposes:
            errors["purpose"] = [f"Unknown purpose {values['purpose']!r} for site {catalogue.site.key!r}."]
        if values.get("vendor") and values["vendor"] not in catalogue.vendors:
            errors["vendor"] = [f"Unknown vendor {values['vendor']!r} for site {catalogue.site.key!r}."]
        refs = data.get("subjects")
        if not isinstance(refs, list):
            errors["subjects"] = ["Expected a list of subject references."]
        elif len(refs) > MAX_CHECK_SUBJECTS:
            errors["subjects"] = [f"At most {MAX_CHECK_SUBJECTS} subjects per call; split the list."]
        elif not _plain_refs(refs):
            for index, ref in enumerate(refs):
                if not isinstance(ref, str) or not ref or text_error(ref, max_length=MAX_REF_LENGTH):
                    errors[f"subjects.{index}"] = [f"Expected a string of 1-{MAX_REF_LENGTH} characters."]
                    if len(errors) >= 20:
                        break
        if errors:
            raise serializers.ValidationError(errors)
        return {"purpose": values["purpose"], "vendor": values["vendor"], "subjects": refs}


@extend_schema_serializer(component_name="Subscription")  # shown as SubscriptionRequest
class SubscriptionRequestSerializer(serializers.Serializer):
    purpose = Text(max_length=64, required=True, help_text="A purpose with double opt-in, e.g. marketing_email.")
    email = Text(max_length=254, required=True, help_text="Where the confirmation link is sent.")
    language = Text(max_length=16, help_text="Language of the email, e.g. fr.")


@extend_schema_serializer(component_name="SmsKeyword")  # shown as SmsKeywordRequest
class SmsKeywordRequestSerializer(serializers.Serializer):
    text = Text(
        max_length=MAX_KEYWORD_TEXT, required=True, help_text="The inbound message as received, e.g. 'STOP' or 'Arrêt'."
    )
    gateway_message_id = Text(max_length=128, help_text="The gateway's id of the message.")


class _Email(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 254:
            raise serializers.ValidationError("Expected an email address.")
        return super().to_internal_value(data)


class _LinkSeconds(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int) or not self.min_value <= data <= self.max_value:
            raise serializers.ValidationError(
                f"Expected a whole number of seconds between {self.min_value} and {self.max_value}."
            )
        return data


@extend_schema_serializer(component_name="NewPreferenceLink")  # shown as NewPreferenceLinkRequest
class PreferenceLinkRequestSerializer(serializers.Serializer):
    email = _Email(
        required=False,
        allow_null=True,
        default=None,
        max_length=254,
        trim_whitespace=False,
        error_messages={"invalid": "Expected an email address.", "blank": "Expected an email address."},
        help_text="Contact address for policy-change notices.",
    )
    ttl_seconds = _LinkSeconds(
        required=False,
        default=int(LINK_TTL.total_seconds()),
        min_value=60,
        max_value=int(LINK_MAX_TTL.total_seconds()),
        help_text="Link lifetime in seconds; default 7 days, at most 31.",
    )


class HandoverIssueSerializer(serializers.Serializer):
    visitor_id = Text(max_length=MAX_REF_LENGTH, required=True, help_text="The visitor on this domain.")
    target_origin = Text(max_length=300, required=True, help_text="Another allowed origin of the site.")


class HandoverAcceptSerializer(serializers.Serializer):
    visitor_id = Text(max_length=MAX_REF_LENGTH, required=True, help_text="The visitor on this (the target) domain.")
    token = Text(max_length=4096, required=True)


@extend_schema_serializer(component_name="ObservedCookies")  # shown as ObservedCookiesRequest
class ObservedCookiesRequest(serializers.Serializer):
    names = serializers.ListField(
        child=serializers.CharField(max_length=MAX_NAME_LENGTH), min_length=1, max_length=MAX_NAMES
    )
    page = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PAGE_LENGTH)

    def to_internal_value(self, data):
        # cookies.drift owns the rules of a report (names, the page path) and their messages.
        try:
            names, page = validate_report(data.get("names"), data.get("page", ""))
        except ConsentError as exc:
            raise serializers.ValidationError(exc.fields) from exc
        return {"names": names, "page": page}
