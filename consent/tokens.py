"""Secrets and signed tokens: API keys (kept as SHA-256 only) and subject tokens.

A subject token is made by the site's own back end, in any language, so its format is plain:

    base64url(JSON {"sub": "<site user id>", "exp": <unix seconds>}) + "." + hex(HMAC-SHA256(site secret, first part))

The banner and the preference centre accept it as proof that the browser belongs to that user.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time

from django.utils import timezone

from consent.models import ApiKey

# What an API key may be allowed to do; an empty scope list on a key grants every scope.
SCOPES = {
    "decisions:write": "Record decisions for subjects (POST /subjects/{ref}/decisions).",
    "consents:read": "Read a subject's consents and check who may receive a purpose.",
    "audit:read": "Read and export the audit trail.",
}

API_KEY_PREFIX = "ck"


class TokenError(Exception):
    """A token that is malformed, signed with another secret, or expired."""


def make_api_key(site, *, name="default", scopes=None, plaintext=None):
    """Create an ApiKey; return (row, plaintext key). The plaintext is never stored.

    `plaintext` re-creates a key handed out before (the demo keeps its keys across databases).
    """
    if plaintext is None:
        plaintext = f"{API_KEY_PREFIX}_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    prefix = plaintext.split("_", 2)[1]
    row = ApiKey.objects.create(
        site=site,
        name=name,
        prefix=prefix,
        key_hash=hashlib.sha256(plaintext.encode()).hexdigest(),
        scopes=scopes or [],
    )
    return row, plaintext


def find_api_key(plaintext):
    """The live ApiKey for a presented key, or None. Compared in constant time."""
    parts = (plaintext or "").split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    row = ApiKey.objects.select_related("site").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if row is None:
        return None
    if not hmac.compare_digest(row.key_hash, hashlib.sha256(plaintext.encode()).hexdigest()):
        return None
    return row


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_subject_token(site, user_id, *, ttl_seconds=3600, now=None):
    now = int(now if now is not None else time.time())
    body = _b64(json.dumps({"sub": str(user_id), "exp": now + ttl_seconds}, separators=(",", ":")).encode())
    mac = hmac.new(site.secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def read_subject_token(site, token, *, now=None):
    """Return the site user id carried by a valid token; raise TokenError otherwise."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 2048:
        raise TokenError("The subject token is malformed.")
    body, mac = token.split(".")
    expected = hmac.new(site.secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        raise TokenError("The subject token's signature is not valid for this site.")
    try:
        payload = json.loads(_unb64(body))
        user_id, expires = str(payload["sub"]), int(payload["exp"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise TokenError("The subject token is malformed.") from None
    if not user_id or len(user_id) > 128:
        raise TokenError("The subject token names no valid user.")
    if expires < int(now if now is not None else timezone.now().timestamp()):
        raise TokenError("The subject token has expired.")
    return user_id
