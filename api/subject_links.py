"""Server API for links the site puts in front of its users: preference-centre links and
one-click unsubscribe headers (RFC 2369 / RFC 8058)."""

from datetime import timedelta

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from api import inputs
from api.inputs import validated
from api.views import SUBJECT_REF_PARAM, ServerView, check_ref, error_responses
from consent.exceptions import ConsentError, NotFound
from consent.models import Subject
from consent.selectors import iso
from consent.services.audit import record_audit
from consent.services.subjects import find_subject, resolve_subject
from features.centre.preferences import make_preference_link
from features.centre.unsubscribe import list_unsubscribe_headers

_LINK = inline_serializer("PreferenceLink", {"url": serializers.URLField(), "expires_at": serializers.DateTimeField()})
# Request components get "Request" appended (COMPONENT_SPLIT_REQUEST): this one is "NewPreferenceLinkRequest".
_HEADERS = inline_serializer(
    "UnsubscribeHeaders",
    {"List-Unsubscribe": serializers.CharField(), "List-Unsubscribe-Post": serializers.CharField()},
)


class PreferenceLinkView(ServerView):
    required_scope = "decisions:write"

    @extend_schema(
        operation_id="subject_preference_link",
        tags=["subjects"],
        summary="A signed, expiring link to the subject's preference centre",
        description="For the site's account page or its emails. Creates the subject if the site has not "
        "sent anything for it yet. An optional `email` is kept for policy-change notices.",
        parameters=[SUBJECT_REF_PARAM],
        request=inputs.PreferenceLinkRequestSerializer,
        responses={200: _LINK, **error_responses(400, 401, 403, 410, 415, 429)},
    )
    def post(self, request, subject_ref):
        ref = check_ref(subject_ref)
        site = request.auth.site
        body = request.data if request.body else {}  # no body at all: every field is optional
        data = validated(inputs.PreferenceLinkRequestSerializer, body, "request.invalid")
        email, ttl = data["email"], data["ttl_seconds"]
        subject_id = resolve_subject(site, ref=ref, email=email or "")
        subject = Subject.objects.get(pk=subject_id)
        if subject.erased_at is not None:
            raise ConsentError("subject.erased", "This subject was erased.", {"subject_ref": ["Erased."]}, 410)
        if email and subject.email != email:
            Subject.objects.filter(pk=subject_id).update(email=email)
            record_audit(
                action="subject.email_set", site=site, actor_label=f"api:{request.auth.prefix}", subject=subject
            )
        url, expires_at = make_preference_link(site, subject_id, ttl=timedelta(seconds=ttl))
        return Response({"url": url, "expires_at": iso(expires_at)})


class UnsubscribeHeadersView(ServerView):
    required_scope = "consents:read"

    @extend_schema(
        operation_id="subject_unsubscribe_headers",
        tags=["subjects"],
        summary="List-Unsubscribe headers for one subject and purpose (one-click, RFC 8058)",
        parameters=[
            SUBJECT_REF_PARAM,
            inputs.purpose_param("The key of a purpose people can unsubscribe from (not a service notice)."),
        ],
        responses={200: _HEADERS, **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request, subject_ref):
        ref = check_ref(subject_ref)
        site = request.auth.site
        purpose = inputs.query_purpose(request, site)
        subject_id = find_subject(site, ref)
        if subject_id is None:
            raise NotFound("subject.not_found", "No subject with this reference.", {"subject_ref": ["Unknown."]})
        return Response(list_unsubscribe_headers(site, subject_id, purpose))
