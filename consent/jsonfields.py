"""JSON schemas of the JSON fields staff edit in the console.

A JSON field accepts any JSON, but the banner, the preference centre and the unsubscribe page
read these with a fixed shape; a bad value is refused as a form error naming the key, before it
is stored, rather than breaking a page later.
"""

from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator

LANGUAGE = {"type": "string", "pattern": r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "maxLength": 35}
PURPOSE_KEY = r"^[-a-zA-Z0-9_]{1,64}$"
CONSENT_MODE_TYPES = [
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
]

SCHEMAS = {
    "allowed_origins": {
        "type": "array",
        "maxItems": 100,
        "uniqueItems": True,
        "items": {"type": "string", "pattern": r"^https?://[^/\s?#@]+$", "maxLength": 300},
    },
    "languages": {"type": "array", "maxItems": 50, "uniqueItems": True, "items": LANGUAGE},
    "regime_by_country": {
        "type": "object",
        "propertyNames": {"pattern": r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"},
        "additionalProperties": {"enum": ["opt_in", "opt_out", "notice"]},
    },
    "regime_settings": {
        "type": "object",
        "propertyNames": {"enum": ["opt_in", "opt_out", "notice"]},
        "additionalProperties": {
            "type": "object",
            "properties": {
                "reask_days": {"type": "integer"},
                "lifetime_days": {"type": "integer"},
                "sensitive": {
                    "type": "array",
                    "maxItems": 200,
                    "uniqueItems": True,
                    "items": {"type": "string", "pattern": PURPOSE_KEY},
                },
                "display": {"enum": ["notice", "none"]},
            },
            "additionalProperties": False,
        },
    },
    "consent_mode": {
        "type": "object",
        "propertyNames": {"pattern": PURPOSE_KEY},
        "additionalProperties": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": CONSENT_MODE_TYPES},
        },
    },
    "translations": {
        "type": "object",
        "propertyNames": LANGUAGE,
        "additionalProperties": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "description": {"type": "string", "maxLength": 4000},
            },
            "additionalProperties": {"type": "string", "maxLength": 4000},
        },
    },
    "texts": {
        "type": "object",
        "propertyNames": LANGUAGE,
        "additionalProperties": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-z_]{1,64}$"},
            "additionalProperties": {"type": "string", "maxLength": 4000},
        },
    },
}

_VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}


def _where(field, error):
    path = ".".join(str(part) for part in error.absolute_path)
    return f"{field}.{path}" if path else field


def _message(error):
    if error.validator == "propertyNames" or "propertyNames" in error.absolute_schema_path:
        return f"{error.instance!r} is not an allowed key."
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}."
    if error.validator == "pattern":
        return f"{error.instance!r} is not in the expected form."
    return error.message


def errors_of(field, value):
    """Messages for `value` of the JSON field `field`, each starting with the key it is about."""
    found = sorted(_VALIDATORS[field].iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_where(field, e)}: {_message(e)}" for e in found]


def validate_fields(instance, fields):
    """Raise a ValidationError keyed by field for every listed JSON field of `instance` that is bad."""
    errors = {}
    for field in fields:
        messages = errors_of(field, getattr(instance, field))
        if messages:
            errors[field] = messages
    if errors:
        raise ValidationError(errors)
