"""API v1. Views stay thin: they check the shape of the input and call services and selectors.

Public (the banner): site config and decisions, throttled per address, CORS per site origins
(see api.middleware). Server to server: a site's API key, throttled per key.
"""

import re

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import inputs, schemas
from api.auth import ApiKeyAuthentication, HasApiKeyScope, PublicThrottle, ServerThrottle
from api.catalogue import get_catalogue
from api.errors import exception_handler
from api.parsers import SafeJSONParser, dumps, json_body
from consent import jurisdiction as geo
from consent.client_ip import client_ip
from consent.exceptions import ConsentError, NotFound
from consent.models import Site
from consent.proof.receipts import signed_receipt
from consent.regimes import regime_for
from consent.services.decisions import MAX_REF_LENGTH
from consent.tokens import TokenError, read_subject_token
from cookies import published
from cookies.responses import encoded_response
from cookies.services import banner_config
from cookies.tcf import site_tcf
from cookies.tcstring import TCStringError, validate, validate_ac
from features.double_opt_in import refuse_direct_grants
from features.gpp import gpp_error
from features.regime_decisions import record_under_regime

BANNER_METHODS = tuple(inputs.BANNER_METHODS)
SERVER_METHODS = tuple(inputs.SERVER_METHODS)
MAX_CHECK_SUBJECTS = inputs.MAX_CHECK_SUBJECTS
CONFIG_MAX_AGE = 60
_SITE_KEY = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
_JSON = renderers.JSONRenderer()

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


# The banner's decision is the hot path: it checks its body by hand, with the rules of api.inputs
# (tests/api/test_inputs.py holds it to the serializer's verdicts).


def _string(data, name, errors, *, required=False, max_length=128, default=None):
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = [inputs.REQUIRED]
        return default
    message = inputs.text_error(value, required=required, max_length=max_length)
    if message:
        errors[name] = [message]
        return default
    return value


def _version(data, name, errors):
    value = data.get(name)
    if value is None:
        return None
    message = inputs.version_error(value)
    if message:
        errors[name] = [message]
        return None
    return value


def _flag(data, name, errors):
    value = data.get(name)
    message = inputs.flag_error(value)
    if message:
        errors[name] = [message]
        return False
    return bool(value)


def _receipt_id(data, errors):
    value = data.get("id")
    if value is None:
        errors["id"] = ["This field is required: a client-generated UUID."]
        return None
    parsed = inputs.parse_receipt_id(value)
    if parsed is None:
        errors["id"] = [inputs.UUID_EXAMPLE]
    return parsed


def gpc_signal(request):
    """True if the request carries Global Privacy Control: `Sec-GPC: 1`. Repeated headers arrive
    joined with commas; any one that is exactly `1` counts, any other value is ignored."""
    return any(part.strip() == "1" for part in request.META.get("HTTP_SEC_GPC", "").split(","))


def check_ref(ref, field="subject_ref"):
    """A subject reference from a path or query: a site user id or a banner visitor id."""
    if not ref or len(ref) > MAX_REF_LENGTH or inputs.CONTROL.search(ref):
        raise _invalid({field: [f"Expected 1-{MAX_REF_LENGTH} characters without control characters."]})
    return ref


def _published_version(data, name, errors, known, what):
    """A version number the site has published, or None; names the field when it has not."""
    value = _version(data, name, errors)
    message = inputs.unpublished_error(value, known, what) if value is not None else None
    if message:
        errors[name] = [message]
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


def _tcf_evidence(data, errors, site):
    """{"tc_string", "ac_string"} sent by the banner of a TCF site, checked to be strings this
    platform wrote under TCF 2.3 rules; None when the body carries none."""
    found = {name: data[name] for name in ("tc_string", "ac_string") if name in data}
    if not found:
        return None
    if site_tcf(site) is None:
        errors["tc_string"] = ["This site does not use IAB TCF."]
        return None
    if "tc_string" not in found:
        errors["tc_string"] = ["Required with ac_string."]
        return None
    try:
        validate(found["tc_string"], cmp_id=settings.TCF_CMP_ID)
    except TCStringError as exc:
        errors["tc_string"] = [str(exc)]
    if "ac_string" in found:
        try:
            validate_ac(found["ac_string"])
        except TCStringError as exc:
            errors["ac_string"] = [str(exc)]
    return found


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


class LeanPublicView(PublicView):
    """A public endpoint whose busiest methods (`lean_methods`) skip DRF's request wrapping, content
    negotiation and response finalising (about a tenth of a banner request's CPU): `dispatch`
    throttles with the view's throttle, calls `lean(request, ...)` for a finished `HttpResponse`
    and turns errors into the API's envelope with the API's exception handler. Other methods, and
    the schema, take DRF's path. tests/api hold both to the same answers.
    """

    lean_methods = ()

    def lean(self, request, *args, **kwargs):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if request.method not in self.lean_methods:
            return super().dispatch(request, *args, **kwargs)
        self.args, self.kwargs, self.request = args, kwargs, request
        try:
            self.check_throttles(request)
            response = self.lean(request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001  (what the exception handler does not take is raised again)
            error = exception_handler(exc, {"view": self, "args": args, "kwargs": kwargs, "request": request})
            if error is None:
                raise
            response = json_response(error.data, error.status_code)
            for name, value in error.items():
                if name.lower() != "content-type":
                    response[name] = value
        response["Allow"] = ", ".join(self.allowed_methods)
        return response


def json_response(data, code):
    """`data` as DRF's JSON renderer writes it, without DRF's response machinery."""
    return HttpResponse(_JSON.render(data), status=code, content_type="application/json")


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


class SiteConfigView(LeanPublicView):
    # The answer is always JSON bytes from the cache: no DRF request or response around it. Like
    # the embed, a public document a CDN may hold and a warm request answers without SQL (an
    # unknown key too, from the cached entry): not counted per address.
    lean_methods = ("GET", "HEAD")
    throttle_classes = []

    def lean(self, request, site_key):
        return self.get(request, site_key)

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
        lang = request.GET.get("lang")
        if lang is not None and (len(lang) > 16 or inputs.CONTROL.search(lang)):
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


class SiteDecisionsView(LeanPublicView):
    """The banner's decision: the hot path, every banner's answer on every customer site."""

    lean_methods = ("POST",)

    def lean(self, request, site_key):
        body, created = self.record(request, json_body(request), site_key)
        return json_response(body, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="site_record_decision",
        tags=["banner"],
        summary="Record a visitor's decision from the banner",
        description=(
            "Idempotent on `id`: a replay returns the same receipt with 200; the same id with other "
            "content is 409. An optional `subject_token` links the visitor to a site user."
        ),
        parameters=[SITE_KEY_PARAM],
        request=inputs.BannerDecisionSerializer,
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
        # Kept for the schema and for DRF's own path; a POST is answered by `dispatch`.
        body, created = self.record(request, request.data, site_key)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def record(self, request, data, site_key):
        """Check the body, record the decision, sign the receipt: (receipt, created)."""
        catalogue = _catalogue(site_key)
        site = catalogue.site
        if not isinstance(data, dict):
            raise _invalid({"body": ["Expected a JSON object."]})
        errors = {}
        receipt_id = _receipt_id(data, errors)
        visitor_id = _string(data, "visitor_id", errors, required=True, max_length=MAX_REF_LENGTH)
        options = _decision_options(data, errors, catalogue)
        gpp = data.get("gpp")
        if gpp is not None and gpp_error(gpp):
            errors["gpp"] = [gpp_error(gpp)]
        user_id = None
        token = data.get("subject_token")
        if token is not None:
            try:
                user_id = read_subject_token(site, token)
            except TokenError as exc:
                errors["subject_token"] = [str(exc)]
        tcf = _tcf_evidence(data, errors, site)
        returning = _flag(data, "returning", errors)
        if errors:
            raise _invalid(errors, "decision.invalid")
        options["jurisdiction"] = visitor_jurisdiction(request, site, options["jurisdiction"])
        refuse_direct_grants(site, options["decisions"], catalogue.purposes)
        evidence = {**({"tcf": tcf} if tcf else {}), **({"gpp": gpp} if gpp else {})} or None
        body, created = record_under_regime(
            site,
            gpc=gpc_signal(request),
            receipt_id=receipt_id,
            method=data.get("method"),
            visitor_id=visitor_id,
            user_id=user_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            evidence=evidence,
            allowed_methods=BANNER_METHODS,
            catalogue=catalogue.as_pair(),
            returning=returning,
            **options,
        )
        # Just written: the events' language and jurisdiction are the ones in hand (no read back),
        # unless the signal split the request and part of it may be a replay.
        split = created and (body.get("gpc") or {}).get("denied")
        context = (options["language"] or "", options["jurisdiction"] or "") if created and not split else None
        body = signed_receipt(catalogue.site, body, catalogue.purposes, context)
        if tcf:
            body = {**body, "tcf": tcf}
        return body, created
