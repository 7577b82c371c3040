"""Communication preferences per channel, and the opt-outs of text messages.

A topic sent on several channels is one purpose per channel (`marketing_email`,
`marketing_sms`, `marketing_push`), each marked with its `channel`: the ledger, the check API,
webhooks and withdrawal then need nothing new, and a person can keep emails while stopping
texts. Email has the one-click unsubscribe (features.centre.unsubscribe). A text message has
room for neither headers nor long links, so it carries a short signed link `/s/<token>`
(GET shows a confirmation page, POST opts out) and the site's SMS gateway reports STOP
keywords to the API, which withdraws every text-message purpose of that person at once
(see docs/channels.md for the contract).
"""

import unicodedata
import uuid

from django.conf import settings
from django.core.signing import Signer
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from consent.exceptions import ConsentError
from consent.models import Channel, ConsentState, Decision, Method, Purpose, Subject
from consent.policy_in_force import current_policy_version
from consent.services.decisions import record_decision
from features.centre.preferences import LinkError, subject_ref

SALT = "features.channels.sms"
SIGNATURE_LENGTH = 16  # base64 characters: 96 bits
REFUSED = (Decision.DENIED, Decision.WITHDRAWN)
# Keywords that stop every text message of the sender (CTIA, and the French and German usage).
STOP_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "ARRET", "STOPP"}
)
MAX_KEYWORD_TEXT = 160
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def channel_purposes(site, channel):
    """The purposes of `channel` a person may refuse (service and legal notices excluded)."""
    return [p for p in Purpose.objects.filter(site=site, channel=channel) if not p.always_allowed]


def _b36(number):
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _B36[rest] + digits
        if not number:
            return digits


def _signature(value):
    return Signer(salt=SALT).signature(value)[:SIGNATURE_LENGTH]


def sms_token(subject_id, purpose):
    """A short token naming one subject and purpose: `<subject>-<purpose>-<signature>`."""
    value = f"{_b36(subject_id)}-{_b36(purpose.pk)}"
    return f"{value}-{_signature(value)}"


def sms_opt_out_url(site, subject_id, purpose):
    if purpose.site_id != site.pk or purpose.channel != Channel.SMS or purpose.always_allowed:
        raise ConsentError(
            "sms.not_optional",
            f"Purpose {purpose.key!r} is not a text-message purpose people can opt out of.",
            {"purpose": ["Expected a text-message (sms) purpose that is not a service or legal notice."]},
        )
    return settings.PUBLIC_BASE_URL + reverse("consent:sms-opt-out", kwargs={"token": sms_token(subject_id, purpose)})


def read_sms_token(token):
    """(site, subject id, purpose) for a short link token; LinkError when it opens nothing."""
    parts = token.split("-", 2) if isinstance(token, str) and len(token) <= 64 else []
    if len(parts) != 3:
        raise LinkError(400, "bad")
    value = f"{parts[0]}-{parts[1]}"
    if not constant_time_compare(parts[2], _signature(value)):
        raise LinkError(400, "bad")
    try:
        subject_id, purpose_id = int(parts[0], 36), int(parts[1], 36)
    except ValueError:
        raise LinkError(400, "bad") from None
    purpose = Purpose.objects.select_related("site").filter(pk=purpose_id).first()
    subject = Subject.objects.filter(pk=subject_id).only("id", "site_id", "erased_at").first()
    if purpose is None or subject is None or subject.site_id != purpose.site_id:
        raise LinkError(410, "unknown")
    if subject.erased_at is not None:
        raise LinkError(410, "erased")
    return purpose.site, subject.pk, purpose


def opted_out(subject_id, purpose):
    state = ConsentState.objects.filter(subject_id=subject_id, purpose=purpose, vendor__isnull=True).first()
    return state is not None and state.state in REFUSED


def opt_out(site, subject_id, purposes, *, method, evidence=None, ip=None, user_agent=""):
    """Withdraw `purposes` not already refused, in one request. Returns the keys withdrawn now."""
    with transaction.atomic():
        # Serialise concurrent opt-outs of this subject so that a replay writes nothing.
        Subject.objects.select_for_update().filter(pk=subject_id).first()
        keys = [p.key for p in purposes if not opted_out(subject_id, p)]
        if keys:
            record_decision(
                site,
                receipt_id=uuid.uuid4(),
                decisions={key: Decision.WITHDRAWN for key in keys},
                method=method,
                ref=subject_ref(subject_id),
                policy_version=current_policy_version(site),
                ip=ip,
                user_agent=user_agent,
                evidence=evidence,
            )
    return keys


def normalise_keyword(text):
    """The first word of an inbound text, upper case, accents dropped: "Arrêt." -> "ARRET"."""
    if not isinstance(text, str):
        return ""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    return words[0].upper() if words else ""


def handle_keyword(site, subject_id, text, *, gateway_message_id=""):
    """An inbound text from the person: a STOP keyword withdraws every text-message purpose.

    Returns (keyword, recognised, withdrawn keys). Other words (HELP, START ...) change nothing
    here: re-subscribing needs a fresh opt-in, which the site asks for on its own form.
    """
    keyword = normalise_keyword(text)
    if keyword not in STOP_KEYWORDS:
        return keyword, False, []
    evidence = {"sms_keyword": keyword}
    if gateway_message_id:
        evidence["gateway_message_id"] = gateway_message_id
    withdrawn = opt_out(
        site, subject_id, channel_purposes(site, Channel.SMS), method=Method.SMS_KEYWORD, evidence=evidence
    )
    return keyword, True, withdrawn
