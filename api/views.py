"""API v1. Views stay thin: they check the shape of the input and call services and selectors.

Public (the banner): site config and decisions, throttled per address, CORS per site origins
(see api.middleware). Server to server: a site's API key, throttled per key.
"""

import re
import uuid

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import audit as audit_trail
from api import schemas
from api.auth import ApiKeyAuthentication, HasApiKeyScope, PublicThrottle, ServerThrottle
from api.catalogue import get_catalogue
from api.parsers import SafeJSONParser, dumps
from consent import jurisdiction as geo
from consent.client_ip import client_ip
from consent.exceptions import ConsentError, NotFound
from consent.models import Method, Site
from consent.proof.receipts import signed_receipt
from consent.regimes import regime_for
from consent.selectors import latest_jurisdictions, subject_consents, who_may
from consent.services.decisions import MAX_REF_LENGTH
from consent.services.subjects import find_subject
from consent.tokens import TokenError, read_subject_token
from cookies import published
from cookies.responses import encoded_response
from cookies.services import banner_config
from features import domains
from features.double_opt_in import refuse_direct_grants
from features.regime_decisions import record_under_regime

BANNER_METHODS = tuple(schemas.BANNER_METHODS)
SERVER_METHODS = tuple(schemas.SERVER_METHODS)
MAX_CHECK_SUBJECTS = 10_000
MAX_VERSION = 2**31 - 1
CONFIG_MAX_AGE = 60
_SITE_KEY = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

ERRORS = {
    400: OpenApiResponse(schemas.ErrorSerializer, description="Bad input; `fields` names each field at fault."),
    401: OpenApiResponse(schemas.ErrorSerializer, description="Missing, unknown or revoked API key."),
    403: OpenApiResponse(schemas.ErrorSerializer, description="The key is another site's, or lacks the scope."),
    404: OpenApiResponse(schemas.ErrorSerializer, description="Unknown site or subject."),
    409: OpenApiResponse(schemas.ErrorSerializer, description="The id was already used for another decision."),
    410: OpenApiResponse(schemas.ErrorSerializer, description="The subject was erased."),
    413: OpenApiResponse(schemas.ErrorSerializer, description="Body over the size limit."),
    415: OpenApiResponse(schemas.ErrorSerializer, description="Not application/json."),
    429: OpenApiResponse(schemas.ErrorSerializer, description="Too many requests; see Retry-After."),
}


def error_responses(*codes):
    return {code: ERRORS[code] for code in codes}


# --- input checks ---------------------------------------------------------------------------


def _invalid(fields, code="request.invalid"):
    first, messages = next(iter(fields.items()))
    return ConsentError(code, f"{first}: {messages[0]}", fields)


def _object_body(request):
    data = request.data
    if not isinstance(data, dict):
        raise _invalid({"body": ["Expected a JSON object."]})
    return data


def _string(data, name, errors, *, required=False, max_length=128, default=None):
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = ["This field is required."]
        return default
    if not isinstance(value, str):
        errors[name] = ["Expected a string."]
    elif required and not value.strip():
        errors[name] = ["Must not be blank."]
    elif len(value) > max_length:
        errors[name] = [f"At most {max_length} characters."]
    elif _CONTROL.search(value):
        errors[name] = ["Must not contain control characters."]
    else:
        return value
    return default


def _version(data, name, errors):
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VERSION:
        errors[name] = ["Expected a whole number >= 0."]
        return None
    return value


def _receipt_id(data, errors):
    value = data.get("id")
    if value is None:
        errors["id"] = ["This field is required: a client-generated UUID."]
        return None
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    errors["id"] = ["Must be a UUID, e.g. 6f1c2b9e-6d7a-4f7e-9a61-0c3f5b2d8e41."]
    return None


def gpc_signal(request):
    """True if the request carries Global Privacy Control: `Sec-GPC: 1`. Repeated headers arrive
    joined with commas; any one that is exactly `1` counts, any other value is ignored."""
    return any(part.strip() == "1" for part in request.META.get("HTTP_SEC_GPC", "").split(","))


def check_ref(ref, field="subject_ref"):
    """A subject reference from a path or query: a site user id or a banner visitor id."""
    if not ref or len(ref) > MAX_REF_LENGTH or _CONTROL.search(ref):
        raise _invalid({field: [f"Expected 1-{MAX_REF_LENGTH} characters without control characters."]})
    return ref


def _published_version(data, name, errors, known, what):
    """A version number the site has published, or None; names the field when it has not."""
    value = _version(data, name, errors)
    if value is not None and value not in known:
        published = ", ".join(str(v) for v in sorted(known)) or "none yet"
        errors[name] = [f"This site has no published {what} version {value} (published: {published})."]
        return None
    return value


def _decision_options(data, errors, catalogue):
    """Fields shared by the banner and the server decision bodies.

    Versions must be ones the site published; a decision that names no policy version was made
    under the one in force.
    """
    if data.get("policy_version") is None:
        policy_version = catalogue.policy_in_force
    else:
        policy_version = _published_version(data, "policy_version", errors, catalogue.policy_versions, "policy")
    options = {
        "banner_version": _published_version(data, "banner_version", errors, catalogue.banner_versions, "banner"),
        "policy_version": policy_version,
        "language": _string(data, "language", errors, max_length=16, default=""),
        "jurisdiction": _jurisdiction_field(data, errors),
        "decisions": data.get("decisions"),
        "vendors": data.get("vendors"),
    }
    # Minors: passed through to the service, which validates them.
    for name in ("age", "parental_consent"):
        if name in data:
            options[name] = data[name]
    return options


def _jurisdiction_field(data, errors):
    value = _string(data, "jurisdiction", errors, max_length=8, default="")
    message = geo.field_error(value)
    if message:
        errors["jurisdiction"] = [message]
        return ""
    return value


def visitor_jurisdiction(request, site, claimed=""):
    """The banner visitor's jurisdiction: the trusted geo header or IP database, else what the
    banner said (validated), else the site's default."""
    found, source = geo.resolve(site, request.META, client_ip(request))
    return found if source in ("header", "ip_database") else (claimed or found)


def _catalogue(site_key):
    catalogue = get_catalogue(site_key) if _SITE_KEY.match(site_key) else None
    if catalogue is None:
        raise NotFound("site.not_found", f"No site with key {site_key[:64]!r}.", {"site_key": ["Unknown site."]})
    return catalogue


class PublicView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = [PublicThrottle]
    parser_classes = [SafeJSONParser]


class ServerView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKeyScope]
    throttle_classes = [ServerThrottle]
    parser_classes = [SafeJSONParser]

    def catalogue(self):
        return _catalogue(self.request.auth.site.key)


SITE_PARAM = OpenApiParameter(
    "site", str, OpenApiParameter.QUERY, required=False, description="Optional: the site key the key must belong to."
)
# Path parameters as the server checks them, so that the schema promises no more than it takes.
SUBJECT_REF_PARAM = OpenApiParameter(
    "subject_ref",
    {"type": "string", "minLength": 1, "maxLength": MAX_REF_LENGTH, "pattern": "^[^\\u0000-\\u001f\\u007f/]+$"},
    OpenApiParameter.PATH,
    description="The site's own user id, or a banner visitor id (no control characters, no slash).",
)
SITE_KEY_PARAM = OpenApiParameter(
    "site_key",
    {"type": "string", "pattern": _SITE_KEY.pattern},
    OpenApiParameter.PATH,
    description="The site's key, as in the embed tag /c/{site_key}.js.",
)


# --- public: the banner ---------------------------------------------------------------------


class SiteConfigView(PublicView):
    # The answer is always JSON bytes from the cache: skip DRF's renderer negotiation.
    def perform_content_negotiation(self, request, force=False):
        return renderers.JSONRenderer(), "application/json"

    @extend_schema(
        operation_id="site_config",
        tags=["banner"],
        summary="Banner configuration in one language",
        description=(
            "Purposes, vendors, cookies, texts and versions for the banner. Unknown languages fall "
            "back to the site default. Sends a strong ETag; answers 304 to a matching If-None-Match."
        ),
        parameters=[
            SITE_KEY_PARAM,
            OpenApiParameter("lang", str, OpenApiParameter.QUERY, required=False, description="e.g. fr"),
        ],
        responses={
            200: schemas.BannerConfigSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            **error_responses(404, 429),
        },
    )
    def get(self, request, site_key):
        # Built once per (site, language, published state) and kept encoded in the shared cache:
        # a warm request runs no SQL, and a matching If-None-Match is answered from one entry.
        entry = published.site_entry(site_key) if _SITE_KEY.match(site_key) else {"found": False}
        if not entry["found"]:
            raise NotFound("site.not_found", f"No site with key {site_key[:64]!r}.", {"site_key": ["Unknown site."]})
        lang = request.query_params.get("lang")
        if lang is not None and (len(lang) > 16 or _CONTROL.search(lang)):
            lang = None
        language = published.pick(entry, lang)
        hit = published.cached_body(
            site_key,
            entry,
            "config",
            language,
            lambda: dumps(banner_config(Site.objects.get(pk=entry["id"]), language)).encode(),
        )
        return encoded_response(
            request,
            hit,
            "application/json",
            cache_control=f"public, max-age={CONFIG_MAX_AGE}",
            vary=["Accept-Encoding"],
        )


class SiteJurisdictionView(PublicView):
    @extend_schema(
        operation_id="site_jurisdiction",
        tags=["banner"],
        summary="The visitor's jurisdiction and the regime that applies to it",
        description=(
            "Tiny and never cached (`Cache-Control: no-store`), so the config itself stays one cacheable "
            "document for every jurisdiction: the config carries every regime's rules, this says which applies."
        ),
        parameters=[SITE_KEY_PARAM],
        responses={200: schemas.JurisdictionSerializer, **error_responses(404, 429)},
    )
    def get(self, request, site_key):
        site = _catalogue(site_key).site
        found = visitor_jurisdiction(request, site)
        response = Response({"jurisdiction": found, "regime": regime_for(site, found), "gpc": gpc_signal(request)})
        response["Cache-Control"] = "private, no-store"
        return response


class SiteDecisionsView(PublicView):
    # Only ever JSON (answers and errors): skip DRF's parsing of Accept on the hot path.
    def perform_content_negotiation(self, request, force=False):
        return renderers.JSONRenderer(), "application/json"

    @extend_schema(
        operation_id="site_record_decision",
        tags=["banner"],
        summary="Record a visitor's decision from the banner",
        description=(
            "Idempotent on `id`: a replay returns the same receipt with 200; the same id with other "
            "content is 409. An optional `subject_token` links the visitor to a site user."
        ),
        parameters=[SITE_KEY_PARAM],
        request=schemas.BannerDecisionSerializer,
        responses={
            201: OpenApiResponse(schemas.ReceiptSerializer, description="Recorded."),
            200: OpenApiResponse(schemas.ReceiptSerializer, description="Replay of an id already recorded."),
            **error_responses(400, 404, 409, 413, 415, 429),
        },
        examples=[
            OpenApiExample(
                "Custom choice",
                request_only=True,
                value={
                    "id": "6f1c2b9e-6d7a-4f7e-9a61-0c3f5b2d8e41",
                    "visitor_id": "v-3b9d1c",
                    "decisions": {"analytics": "granted", "advertising": "denied"},
                    "vendors": {"partner_ads": "denied"},
                    "method": "custom",
                    "banner_version": 3,
                    "policy_version": 2,
                    "language": "fr",
                },
            )
        ],
    )
    def post(self, request, site_key):
        catalogue = _catalogue(site_key)
        site = catalogue.site
        data = _object_body(request)
        errors = {}
        receipt_id = _receipt_id(data, errors)
        visitor_id = _string(data, "visitor_id", errors, required=True, max_length=MAX_REF_LENGTH)
        options = _decision_options(data, errors, catalogue)
        user_id = None
        token = data.get("subject_token")
        if token is not None:
            try:
                user_id = read_subject_token(site, token)
            except TokenError as exc:
                errors["subject_token"] = [str(exc)]
        if errors:
            raise _invalid(errors, "decision.invalid")
        options["jurisdiction"] = visitor_jurisdiction(request, site, options["jurisdiction"])
        refuse_direct_grants(site, options["decisions"], catalogue.purposes)
        body, created = record_under_regime(
            site,
            gpc=gpc_signal(request),
            receipt_id=receipt_id,
            method=data.get("method"),
            visitor_id=visitor_id,
            user_id=user_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            evidence=None,
            allowed_methods=BANNER_METHODS,
            catalogue=catalogue.as_pair(),
            **options,
        )
        # Just written: the events' language and jurisdiction are the ones in hand (no read back),
        # unless the signal split the request and part of it may be a replay.
        split = created and (body.get("gpc") or {}).get("denied")
        context = (options["language"] or "", options["jurisdiction"] or "") if created and not split else None
        body = signed_receipt(catalogue.site, body, catalogue.purposes, context)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- server to server -----------------------------------------------------------------------


class SubjectDecisionsView(ServerView):
    required_scope = "decisions:write"

    @extend_schema(
        operation_id="subject_record_decision",
        tags=["subjects"],
        summary="Record consents captured by the site's own forms",
        description="Same body as the banner's, without visitor_id; `method` defaults to `api`.",
        parameters=[SITE_PARAM, SUBJECT_REF_PARAM],
        request=schemas.ServerDecisionSerializer,
        responses={
            201: OpenApiResponse(schemas.ReceiptSerializer, description="Recorded."),
            200: OpenApiResponse(schemas.ReceiptSerializer, description="Replay of an id already recorded."),
            **error_responses(400, 401, 403, 409, 413, 415, 429),
        },
    )
    def post(self, request, subject_ref):
        ref = check_ref(subject_ref)
        catalogue = self.catalogue()
        data = _object_body(request)
        errors = {}
        receipt_id = _receipt_id(data, errors)
        options = _decision_options(data, errors, catalogue)
        method = data.get("method")
        if method is None:
            method = Method.API
        if errors:
            raise _invalid(errors, "decision.invalid")
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
        request=schemas.CheckRequestSerializer,
        responses={200: schemas.CheckResponseSerializer, **error_responses(400, 401, 403, 413, 415, 429)},
    )
    def post(self, request):
        catalogue = self.catalogue()
        data = _object_body(request)
        errors = {}
        purpose_key = _string(data, "purpose", errors, required=True, max_length=64)
        purpose = catalogue.purposes.get(purpose_key) if purpose_key else None
        if purpose_key and purpose is None:
            errors["purpose"] = [f"Unknown purpose {purpose_key!r} for site {catalogue.site.key!r}."]
        vendor_key = _string(data, "vendor", errors, max_length=64)
        vendor = catalogue.vendors.get(vendor_key) if vendor_key else None
        if vendor_key and vendor is None:
            errors["vendor"] = [f"Unknown vendor {vendor_key!r} for site {catalogue.site.key!r}."]
        refs = data.get("subjects")
        if not isinstance(refs, list):
            errors["subjects"] = ["Expected a list of subject references."]
        elif len(refs) > MAX_CHECK_SUBJECTS:
            errors["subjects"] = [f"At most {MAX_CHECK_SUBJECTS} subjects per call; split the list."]
        else:
            for index, ref in enumerate(refs):
                if not isinstance(ref, str) or not ref or len(ref) > MAX_REF_LENGTH or _CONTROL.search(ref):
                    errors[f"subjects.{index}"] = [f"Expected a string of 1-{MAX_REF_LENGTH} characters."]
                    if len(errors) >= 20:
                        break
        if errors:
            code = "check.unknown_purpose" if "purpose" in errors and purpose_key else "check.invalid"
            raise _invalid(errors, code)
        allowed, denied = who_may(catalogue.site, purpose, refs, vendor=vendor)
        body = {"purpose": purpose.key, "allowed": allowed, "denied": denied}
        if vendor is not None:
            body["vendor"] = vendor.key
        return Response(body)


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
            if value is not None and (len(value) > 512 or _CONTROL.search(value)):
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


# --- consent across the site's domains ------------------------------------------------------


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
        request=schemas.HandoverIssueSerializer,
        responses={
            200: schemas.HandoverTokenSerializer,
            **error_responses(400, 404, 413, 415, 429),
        },
    )
    def post(self, request, site_key):
        site = _catalogue(site_key).site
        data = _object_body(request)
        errors = {}
        visitor_id = _string(data, "visitor_id", errors, required=True, max_length=MAX_REF_LENGTH)
        target = _string(data, "target_origin", errors, required=True, max_length=300)
        if errors:
            raise _invalid(errors, "handover.invalid")
        token = domains.issue_token(
            site, visitor_id, source_origin=request.META.get("HTTP_ORIGIN", ""), target_origin=target
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
        request=schemas.HandoverAcceptSerializer,
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
        data = _object_body(request)
        errors = {}
        visitor_id = _string(data, "visitor_id", errors, required=True, max_length=MAX_REF_LENGTH)
        token = _string(data, "token", errors, required=True, max_length=4096)
        if errors:
            raise _invalid(errors, "handover.invalid")
        payload = domains.read_token(site, token, target_origin=request.META.get("HTTP_ORIGIN"))
        carried = domains.handover_request(site, payload, token, visitor_id)
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
