"""API v1, server to server: a site's back end records decisions from its own forms, reads a
subject's state, checks many subjects at once and reads the audit trail (API key, per-key throttle)."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.response import Response

from api import audit as audit_trail
from api import inputs, schemas
from api.inputs import validated
from api.parsers import dumps
from api.views import (
    MAX_CHECK_SUBJECTS,
    SERVER_METHODS,
    SITE_PARAM,
    SUBJECT_REF_PARAM,
    ServerView,
    _invalid,
    check_ref,
    error_responses,
    gpc_signal,
)
from consent import jurisdiction as geo
from consent.exceptions import NotFound
from consent.proof.receipts import signed_receipt
from consent.selectors import latest_jurisdictions, subject_consents, who_may
from consent.services.subjects import find_subject
from features.double_opt_in import refuse_direct_grants
from features.regime_decisions import record_under_regime


class SubjectDecisionsView(ServerView):
    required_scope = "decisions:write"

    @extend_schema(
        operation_id="subject_record_decision",
        tags=["subjects"],
        summary="Record consents captured by the site's own forms",
        description="Same body as the banner's, without visitor_id; `method` defaults to `api`.",
        parameters=[SITE_PARAM, SUBJECT_REF_PARAM],
        request=inputs.ServerDecisionSerializer,
        responses={
            201: OpenApiResponse(schemas.ReceiptSerializer, description="Recorded."),
            200: OpenApiResponse(schemas.ReceiptSerializer, description="Replay of an id already recorded."),
            **error_responses(400, 401, 403, 409, 413, 415, 429),
        },
    )
    def post(self, request, subject_ref):
        ref = check_ref(subject_ref)
        catalogue = self.catalogue()
        options = dict(
            validated(inputs.ServerDecisionSerializer, request.data, "decision.invalid", catalogue=catalogue)
        )
        receipt_id, method = options.pop("id"), options.pop("method")
        site = catalogue.site
        if not options["jurisdiction"]:
            # The back end's own address says nothing of the person: their last known place, else the default.
            subject_id = find_subject(site, ref)
            known = latest_jurisdictions([subject_id]).get(subject_id, "") if subject_id else ""
            options["jurisdiction"] = known or geo.normalise(site.default_jurisdiction)
        refuse_direct_grants(site, options["decisions"], catalogue.purposes)
        body, created = record_under_regime(
            site,
            gpc=gpc_signal(request),
            receipt_id=receipt_id,
            method=method,
            ref=ref,
            evidence={"api_key": request.auth.prefix},
            allowed_methods=SERVER_METHODS,
            catalogue=catalogue.as_pair(),
            **options,
        )
        body = signed_receipt(catalogue.site, body, catalogue.purposes)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SubjectConsentsView(ServerView):
    required_scope = "consents:read"

    @extend_schema(
        operation_id="subject_consents",
        tags=["subjects"],
        summary="A subject's current state per purpose and full history",
        parameters=[SITE_PARAM, SUBJECT_REF_PARAM],
        responses={200: schemas.SubjectConsentsSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request, subject_ref):
        ref = check_ref(subject_ref)
        site = self.catalogue().site
        subject_id = find_subject(site, ref)
        if subject_id is None:
            raise NotFound("subject.not_found", "No subject with this reference.", {"subject_ref": ["Unknown."]})
        return Response(subject_consents(site, subject_id, label=ref))


class ConsentCheckView(ServerView):
    required_scope = "consents:read"

    @extend_schema(
        operation_id="consents_check",
        tags=["subjects"],
        summary="Who may, and who may not, be processed for a purpose",
        description=(
            f"Up to {MAX_CHECK_SUBJECTS:,} subject references per call (body limit 1 MB). Unknown references "
            "are denied unless the purpose is always allowed or a legitimate interest nobody objected to."
        ),
        parameters=[SITE_PARAM],
        request=inputs.CheckRequestSerializer,
        responses={200: schemas.CheckResponseSerializer, **error_responses(400, 401, 403, 413, 415, 429)},
    )
    def post(self, request):
        catalogue = self.catalogue()
        data = validated(inputs.CheckRequestSerializer, request.data, _check_code, catalogue=catalogue)
        purpose = catalogue.purposes[data["purpose"]]
        vendor = catalogue.vendors[data["vendor"]] if data["vendor"] else None
        allowed, denied = who_may(catalogue.site, purpose, data["subjects"], vendor=vendor)
        body = {"purpose": purpose.key, "allowed": allowed, "denied": denied}
        if vendor is not None:
            body["vendor"] = vendor.key
        return Response(body)


def _check_code(fields):
    unknown = fields.get("purpose", [""])[0].startswith("Unknown purpose")
    return "check.unknown_purpose" if unknown else "check.invalid"


class CSVRenderer(renderers.BaseRenderer):
    """Only announces text/csv for `?format=csv`; the audit view streams the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return dumps(data).encode() if data is not None else b""


class AuditView(ServerView):
    required_scope = "audit:read"
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    FORMATS = ("json", "csv")

    def perform_content_negotiation(self, request, force=False):
        # DRF answers an unknown ?format= with a bare 404; name the parameter instead.
        wanted = request.query_params.get("format")
        if wanted is not None and wanted not in self.FORMATS and not force:
            raise _invalid({"format": [f"Expected one of: {', '.join(self.FORMATS)}."]}, "audit.invalid_filter")
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        operation_id="audit_trail",
        tags=["audit"],
        summary="The audit trail: consent events, staff actions and notifications, newest first",
        description=(
            "Cursor-paginated: pass `next_cursor` back as `cursor`. `?format=csv` streams every matching "
            "row as CSV (same filters, no page limit)."
        ),
        parameters=[
            SITE_PARAM,
            OpenApiParameter("subject", str, description="A site user id or visitor id."),
            OpenApiParameter("purpose", str, description="A purpose key (consent events only)."),
            OpenApiParameter(
                "kind", str, description="consent, staff, notification, a decision (granted...) or an action name."
            ),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Inclusive lower bound."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Exclusive upper bound."),
            OpenApiParameter("cursor", str, description="From the previous page's next_cursor."),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": audit_trail.MAX_LIMIT},
                description=f"Rows per page, 1-{audit_trail.MAX_LIMIT} (default 100).",
            ),
            OpenApiParameter("format", str, enum=["json", "csv"], description="csv streams a CSV export."),
        ],
        responses={
            (200, "application/json"): schemas.AuditPageSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request):
        catalogue = self.catalogue()
        params = request.query_params
        values = {}
        for name in ("subject", "purpose", "kind", "since", "until", "cursor", "limit"):
            value = params.get(name)
            if value is not None and (len(value) > 512 or inputs.CONTROL.search(value)):
                raise _invalid({name: ["Too long or contains control characters."]})
            values[name] = value
        if values["subject"] is not None:
            check_ref(values["subject"], "subject")
        limit = 100
        if values["limit"] is not None:
            try:
                limit = int(values["limit"])
            except ValueError:
                limit = 0
            if not 1 <= limit <= audit_trail.MAX_LIMIT:
                raise _invalid({"limit": [f"Expected a whole number from 1 to {audit_trail.MAX_LIMIT}."]})
        query = audit_trail.AuditQuery(
            catalogue.site,
            subject=values["subject"],
            purpose=values["purpose"],
            kind=values["kind"],
            since=values["since"],
            until=values["until"],
            catalogue=catalogue,
        )
        if values["cursor"]:
            audit_trail.decode_cursor(values["cursor"])  # a bad cursor is a 400 before streaming starts
        if request.accepted_renderer.format == "csv":
            response = StreamingHttpResponse(
                audit_trail.csv_lines(query.iterate(cursor=values["cursor"])), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="audit-{catalogue.site.key}.csv"'
            return response
        rows, next_cursor = query.page(limit, values["cursor"])
        next_url = None
        if next_cursor:
            query_dict = params.copy()
            query_dict["cursor"] = next_cursor
            next_url = request.build_absolute_uri(request.path) + "?" + query_dict.urlencode()
        return Response({"results": rows, "next_cursor": next_cursor, "next": next_url})

    def handle_exception(self, exc):
        # Errors are always JSON, even when CSV was asked for.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)
