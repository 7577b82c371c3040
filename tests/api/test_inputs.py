"""The serializers of api.inputs and the banner's hand-tuned decision check give the same verdicts."""

import pytest

from api import inputs
from api.catalogue import get_catalogue
from api.views import _decision_options, _flag, _receipt_id, _string
from consent.exceptions import ConsentError
from consent.services.decisions import MAX_REF_LENGTH

GOOD = {
    "id": "6f1c2b9e-6d7a-4f7e-9a61-0c3f5b2d8e41",
    "visitor_id": "v-1",
    "decisions": {"analytics": "granted"},
    "method": "custom",
}
VARIANTS = [
    {},
    {"id": None},
    {"id": "not-a-uuid"},
    {"id": 12345},
    {"id": "6F1C2B9E6D7A4F7E9A610C3F5B2D8E41"},
    {"visitor_id": None},
    {"visitor_id": ""},
    {"visitor_id": "   "},
    {"visitor_id": 7},
    {"visitor_id": "x" * (MAX_REF_LENGTH + 1)},
    {"visitor_id": "a\x00b"},
    {"banner_version": True},
    {"banner_version": "1"},
    {"banner_version": -1},
    {"banner_version": 2**31},
    {"banner_version": 99},
    {"policy_version": 1.5},
    {"policy_version": 42},
    {"language": 5},
    {"language": "x" * 17},
    {"language": None},
    {"jurisdiction": "fr"},
    {"jurisdiction": "ZZ"},
    {"jurisdiction": "US-CA"},
    {"jurisdiction": ""},
    {"id": "nope", "visitor_id": "", "banner_version": "x", "language": 1},
    {"returning": True},
    {"returning": False},
    {"returning": None},
    {"returning": "true"},
    {"returning": 1},
    {"returning": 0},
]


def _hand(data, catalogue):
    errors = {}
    _receipt_id(data, errors)
    _string(data, "visitor_id", errors, required=True, max_length=MAX_REF_LENGTH)
    _decision_options(data, errors, catalogue)
    _flag(data, "returning", errors)
    return errors


def _serializer(data, catalogue):
    try:
        inputs.validated(inputs.BannerDecisionSerializer, data, "decision.invalid", catalogue=catalogue)
    except ConsentError as error:
        return error.fields
    return {}


@pytest.mark.django_db
@pytest.mark.parametrize("variant", VARIANTS, ids=[repr(v)[:40] for v in VARIANTS])
def test_banner_hand_check_and_serializer_agree(site, variant):
    catalogue = get_catalogue(site.key)
    body = {**GOOD, **variant}
    assert _hand(body, catalogue) == _serializer(body, catalogue)


@pytest.mark.django_db
def test_the_good_body_passes_both(site):
    catalogue = get_catalogue(site.key)
    assert _hand(dict(GOOD), catalogue) == {} == _serializer(dict(GOOD), catalogue)


def test_strict_fields_do_not_coerce():
    with pytest.raises(ConsentError) as error:
        inputs.validated(inputs.SmsKeywordRequestSerializer, {"text": 5, "gateway_message_id": 1.5}, "sms.invalid")
    assert error.value.code == "sms.invalid"
    assert error.value.fields == {"text": ["Expected a string."], "gateway_message_id": ["Expected a string."]}
