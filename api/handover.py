"""API v1, consent across a site's domains: the banner asks for a handover token on one domain
and redeems it on another (see docs/regimes.md and features/domains.py)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from api import inputs, schemas
from api.inputs import validated
from api.views import (
    SITE_KEY_PARAM,
    PublicView,
    _catalogue,
    error_responses,
    gpc_signal,
    visitor_jurisdiction,
)
from consent.client_ip import client_ip
from consent.models import Method
from features import domains
from features.regime_decisions import record_under_regime


class HandoverIssueView(PublicView):
    @extend_schema(
        operation_id="site_handover_issue",
        tags=["banner"],
        summary="A short-lived token carrying a visitor's decisions to another of the site's domains",
        description=(
            "Called by the banner from one allowed origin (the Origin header) for a link to another "
            "(`target_origin`). The token holds the decisions recorded for the visitor, signed with the "
            "site's secret; the banner appends it to the link as `#_cst=<token>`. See docs/regimes.md."
        ),
        parameters=[SITE_KEY_PARAM],
        request=inputs.HandoverIssueSerializer,
        responses={
            200: schemas.HandoverTokenSerializer,
            **error_responses(400, 404, 413, 415, 429),
        },
    )
    def post(self, request, site_key):
        site = _catalogue(site_key).site
        data = validated(inputs.HandoverIssueSerializer, request.data, "handover.invalid")
        token = domains.issue_token(
            site,
            data["visitor_id"],
            source_origin=request.META.get("HTTP_ORIGIN", ""),
            target_origin=data["target_origin"],
        )
        response = Response({"token": token, "fragment": domains.FRAGMENT, "expires_in": _token_seconds()})
        response["Cache-Control"] = "no-store"
        return response


class HandoverAcceptView(PublicView):
    @extend_schema(
        operation_id="site_handover_accept",
        tags=["banner"],
        summary="Record, for this domain's visitor, the decisions a handover token carries",
        description=(
            "Called by the banner on the target domain with the token from the link. The decisions are "
            "recorded with method `cross_domain` and evidence naming the source origin. A token serves one "
            "visitor: a replay by the same visitor returns 200, another visitor gets 409."
        ),
        parameters=[SITE_KEY_PARAM],
        request=inputs.HandoverAcceptSerializer,
        responses={
            201: OpenApiResponse(schemas.ReceiptSerializer, description="Recorded."),
            200: OpenApiResponse(schemas.ReceiptSerializer, description="Replay of a token already used."),
            204: OpenApiResponse(description="Nothing to record: the visitor decided here after the token."),
            **error_responses(400, 404, 409, 413, 415, 429),
        },
    )
    def post(self, request, site_key):
        catalogue = _catalogue(site_key)
        site = catalogue.site
        data = validated(inputs.HandoverAcceptSerializer, request.data, "handover.invalid")
        payload = domains.read_token(site, data["token"], target_origin=request.META.get("HTTP_ORIGIN"))
        carried = domains.handover_request(site, payload, data["token"], data["visitor_id"])
        jurisdiction = visitor_jurisdiction(request, site)
        if not carried["decisions"]:
            return Response(status=status.HTTP_204_NO_CONTENT)
        body, created = record_under_regime(
            site,
            gpc=gpc_signal(request),
            jurisdiction=jurisdiction,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            allowed_methods=(Method.CROSS_DOMAIN,),
            catalogue=catalogue.as_pair(),
            policy_version=catalogue.policy_in_force,
            **carried,
        )
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _token_seconds():
    return settings.CROSS_DOMAIN_TOKEN_SECONDS
