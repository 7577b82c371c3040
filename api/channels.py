"""Server API for channels: double opt-in subscriptions, text-message opt-out links and the STOP
keywords the site's SMS gateway receives (see docs/channels.md)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from api import inputs
from api.inputs import validated
from api.views import SUBJECT_REF_PARAM, ServerView, check_ref, error_responses
from consent.exceptions import ConsentError, NotFound
from consent.models import Subject
from consent.selectors import iso
from consent.services.subjects import find_subject, resolve_subject
from features import channels, double_opt_in

_SUBSCRIPTION = inline_serializer(
    "PendingSubscription",
    {
        "subscription": serializers.IntegerField(),
        "purpose": serializers.CharField(),
        "status": serializers.CharField(help_text="pending: nothing is granted until the person confirms."),
        "requested_at": serializers.DateTimeField(),
        "expires_at": serializers.DateTimeField(),
    },
)
_KEYWORD = inline_serializer(
    "SmsKeywordResult",
    {
        "keyword": serializers.CharField(),
        "recognised": serializers.BooleanField(help_text="True for a stop keyword."),
        "withdrawn": serializers.ListField(child=serializers.CharField(), help_text="Purposes withdrawn now."),
    },
)
_LINK = inline_serializer("SmsOptOutLink", {"url": serializers.URLField()})


def _known_subject(site, ref):
    subject_id = find_subject(site, ref)
    if subject_id is None:
        raise NotFound("subject.not_found", "No subject with this reference.", {"subject_ref": ["Unknown."]})
    if Subject.objects.filter(pk=subject_id, erased_at__isnull=False).exists():
        raise ConsentError("subject.erased", "This subject was erased.", {"subject_ref": ["Erased."]}, 410)
    return subject_id


class SubscriptionView(ServerView):
    required_scope = "decisions:write"

    @extend_schema(
        operation_id="subject_request_subscription",
        tags=["channels"],
        summary="Ask a person to confirm a double opt-in subscription by email",
        description="Records nothing granted: stores a pending request and emails a confirmation link. "
        "The consent is recorded (method `double_opt_in`) when the person confirms; an unconfirmed "
        "request expires.",
        parameters=[SUBJECT_REF_PARAM],
        request=inputs.SubscriptionRequestSerializer,
        responses={202: _SUBSCRIPTION, **error_responses(400, 401, 403, 409, 410, 415, 429)},
    )
    def post(self, request, subject_ref):
        ref = check_ref(subject_ref)
        site = request.auth.site
        data = validated(inputs.SubscriptionRequestSerializer, request.data, "subscription.invalid")
        subject_id = resolve_subject(site, ref=ref)
        pending = double_opt_in.request_subscription(
            site, subject_id, data["purpose"], data["email"], via="api", language=data["language"]
        )
        body = {
            "subscription": pending.pk,
            "purpose": pending.purpose.key,
            "status": pending.status,
            "requested_at": iso(pending.requested_at),
            "expires_at": iso(pending.expires_at),
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class SmsKeywordView(ServerView):
    required_scope = "decisions:write"

    @extend_schema(
        operation_id="subject_sms_keyword",
        tags=["channels"],
        summary="Report an inbound text message (STOP, ARRET, STOPP ...) from a person",
        description="For the site's SMS gateway. A stop keyword withdraws every text-message purpose of "
        "the person at once (method `sms_keyword`); other words change nothing. Send the site's own "
        "user id, never the phone number.",
        parameters=[SUBJECT_REF_PARAM],
        request=inputs.SmsKeywordRequestSerializer,
        responses={200: _KEYWORD, **error_responses(400, 401, 403, 404, 410, 415, 429)},
    )
    def post(self, request, subject_ref):
        ref = check_ref(subject_ref)
        site = request.auth.site
        data = validated(inputs.SmsKeywordRequestSerializer, request.data, "sms.invalid")
        subject_id = _known_subject(site, ref)
        keyword, recognised, withdrawn = channels.handle_keyword(
            site, subject_id, data["text"], gateway_message_id=data["gateway_message_id"]
        )
        return Response({"keyword": keyword, "recognised": recognised, "withdrawn": withdrawn})


class SmsOptOutLinkView(ServerView):
    required_scope = "consents:read"

    @extend_schema(
        operation_id="subject_sms_opt_out_link",
        tags=["channels"],
        summary="The short opt-out link to put in a text message to this person",
        parameters=[
            SUBJECT_REF_PARAM,
            inputs.purpose_param("The key of a text-message purpose (channel sms)."),
        ],
        responses={200: _LINK, **error_responses(400, 401, 403, 404, 410, 429)},
    )
    def get(self, request, subject_ref):
        ref = check_ref(subject_ref)
        site = request.auth.site
        purpose = inputs.query_purpose(request, site)
        subject_id = _known_subject(site, ref)
        return Response({"url": channels.sms_opt_out_url(site, subject_id, purpose)})
