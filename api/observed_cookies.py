"""Public endpoint of the banner runtime: report cookie names no declaration covers (drift)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from api import inputs
from api.inputs import validated
from api.views import SITE_KEY_PARAM, error_responses
from consent.client_ip import client_ip
from consent.exceptions import NotFound
from consent.models import Site
from cookies.drift import report_observed


class CookieReportThrottle(SimpleRateThrottle):
    """Per site and client address; the rate is settings REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["cookie_report"]."""

    scope = "cookie_report"

    def get_cache_key(self, request, view):
        site_key = view.kwargs.get("site_key", "")[:64]
        return self.cache_format % {"scope": self.scope, "ident": f"{site_key}:{client_ip(request)}"}


class ObservedCookiesResponse(serializers.Serializer):
    undeclared = serializers.ListField(child=serializers.CharField())


class ObservedCookiesView(APIView):
    """`POST /api/v1/sites/{site_key}/observed-cookies` `{"names": [...], "page": "/path"}`.

    Names only (never values), at most 50 per report; answers 202 with the names kept as undeclared.
    CORS (only the site's allowed origins) is handled for every site endpoint by
    api.middleware.ApiGuardMiddleware.
    """

    authentication_classes = []
    permission_classes = []
    throttle_classes = [CookieReportThrottle]

    def _site(self, site_key):
        site = Site.objects.filter(key=site_key).first()
        if site is None:
            raise NotFound("site.not_found", f"No site with key {site_key[:64]!r}.", {"site_key": ["Unknown site."]})
        return site

    @extend_schema(
        request=inputs.ObservedCookiesRequest,
        responses={202: ObservedCookiesResponse, **error_responses(400, 403, 404, 413, 415, 429)},
        parameters=[SITE_KEY_PARAM],
        operation_id="report_observed_cookies",
        tags=["banner"],
        summary="Report cookie names no declaration of the site covers (names only, rate-limited)",
    )
    def post(self, request, site_key):
        site = self._site(site_key)
        report = validated(
            inputs.ObservedCookiesRequest, request.data, "cookies.invalid_report", body_code="cookies.invalid_report"
        )
        names = report_observed(site, report["names"], report["page"])
        return Response({"undeclared": names}, status=202)
