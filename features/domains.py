"""One decision across a customer's domains, without third-party cookies.

Subdomains (`www`, `app`, `shop`) share the first-party consent cookie when the site sets a
`cookie_domain` (`.example.com`): nothing to carry.

Sibling domains (`example.de`, `example.pl`, ...) cannot share a cookie, and browsers block the
third-party ones that used to do it. Instead a decision is handed over on the link:
1. on `example.de` the banner asks `POST /api/v1/sites/{key}/handover` for a token, naming the
   visitor and the origin the link leads to. The server reads the visitor's recorded decisions
   (never the browser's claim) and signs them with the site's secret: a short-lived token
   (`CROSS_DOMAIN_TOKEN_SECONDS`, default 10 minutes) bound to the site, the source and the
   target origin, carrying no visitor id;
2. the banner appends it to the link as a fragment, `#_cst=<token>` (fragments are not sent to
   servers nor in Referer headers);
3. on `example.pl` the banner finds the fragment, removes it from the address bar and posts it
   with its own visitor id to `POST /api/v1/sites/{key}/handover/accept`. The server checks the
   signature, age, site and that the request comes from the target origin, then records the same
   decisions for this visitor with method `cross_domain` and evidence naming the source origin
   and the source subject's chain head (which ties the events to their proof on the other
   domain). A decision the visitor made here after the token was issued is kept. A token is
   good for one visitor: its receipt id derives from the token, so another visitor gets 409.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from consent.exceptions import ConsentError, NotFound
from consent.models import ConsentState, Decision, Method, Subject
from consent.regimes import regime_rules
from consent.services.subjects import find_subject
from consent.site_checks import normal_origin as _origin
from consent.site_checks import site_origins

SALT = "consent.cross-domain"
FRAGMENT = "_cst"
HANDOVER_NAMESPACE = uuid.UUID("b5a0f6a4-3f43-4c84-8a3e-0b1c9d2e7f61")
CARRIED = {Decision.GRANTED: Decision.GRANTED, Decision.DENIED: Decision.DENIED, Decision.WITHDRAWN: Decision.DENIED}


def banner_settings(site):
    """What the banner config must carry for regimes and domains, in one cacheable object:
    every jurisdiction's rules, the cookie domain, and where to hand decisions over."""
    return {
        "regimes": regime_rules(site),
        "cookie_domain": site.cookie_domain or None,
        "handover": {
            "fragment": FRAGMENT,
            "origins": site_origins(site),
            "issue": f"/api/v1/sites/{site.key}/handover",
            "accept": f"/api/v1/sites/{site.key}/handover/accept",
        },
    }


def _signer(site):
    return signing.TimestampSigner(key=site.secret, salt=SALT)


def _invalid(field, message, code="handover.invalid"):
    return ConsentError(code, message, {field: [message]})


def issue_token(site, visitor_id, *, source_origin, target_origin, now=None):
    """A signed token carrying the visitor's recorded decisions to `target_origin`."""
    origins = site_origins(site)
    source, target = _origin(source_origin), _origin(target_origin)
    if source not in origins:
        raise _invalid("origin", "The request must come from one of the site's allowed origins.")
    if target not in origins or target == source:
        raise _invalid("target_origin", "Expected another of the site's allowed origins.")
    subject_id = find_subject(site, visitor_id)
    rows = ConsentState.objects.filter(subject_id=subject_id, vendor__isnull=True).select_related("purpose")
    decisions = {s.purpose.key: CARRIED[s.state] for s in rows if s.state in CARRIED and not s.purpose.always_allowed}
    if subject_id is None or not decisions:
        raise NotFound("handover.nothing", "This visitor has no decision to carry.", {"visitor_id": ["No decision."]})
    head = Subject.objects.filter(pk=subject_id).values_list("last_hash", flat=True).first()
    at = (now or timezone.now()).isoformat()
    payload = {"s": site.key, "f": source, "t": target, "d": decisions, "h": head, "at": at}
    return _signer(site).sign_object(payload, compress=True)


def read_token(site, token, *, target_origin):
    """The payload of a valid token for this site and target origin; ConsentError otherwise."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise _invalid("token", "Expected the token from the link.")
    try:
        payload = _signer(site).unsign_object(token, max_age=settings.CROSS_DOMAIN_TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise _invalid("token", "The token has expired; decisions are asked for again.", "handover.expired") from None
    except (signing.BadSignature, ValueError):
        raise _invalid("token", "The token is not valid for this site.") from None
    if not isinstance(payload, dict) or payload.get("s") != site.key or not isinstance(payload.get("d"), dict):
        raise _invalid("token", "The token is not valid for this site.")
    if target_origin is not None and _origin(target_origin) != payload.get("t"):
        raise _invalid("origin", "The token was issued for another of the site's domains.")
    return payload


def handover_request(site, payload, token, visitor_id):
    """Keyword arguments for record_decision that re-record the token's decisions for `visitor_id`,
    leaving out purposes this visitor decided after the token was issued."""
    issued = parse_datetime(payload.get("at") or "")
    subject_id = find_subject(site, visitor_id)
    newer = set()
    if subject_id is not None and issued is not None:
        newer = set(
            ConsentState.objects.filter(subject_id=subject_id, vendor__isnull=True, updated_at__gt=issued)
            .exclude(method=Method.CROSS_DOMAIN)
            .values_list("purpose__key", flat=True)
        )
    decisions = {k: v for k, v in payload["d"].items() if k not in newer}
    return {
        "receipt_id": uuid.uuid5(HANDOVER_NAMESPACE, token.rsplit(":", 1)[-1]),
        "decisions": decisions,
        "visitor_id": visitor_id,
        "method": Method.CROSS_DOMAIN,
        "evidence": {"from_origin": payload.get("f"), "from_chain_head": payload.get("h")},
    }
