"""The Ed25519 key that signs checkpoints and receipts, and the public keys published as a JWKS.

The key id (kid) is the RFC 7638 thumbprint of the public key, so it needs no configuration and
an old key keeps its kid when it is retired to `LEDGER_PUBLIC_KEYS`.
"""

import base64
import hashlib
import hmac
import json
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from consent.process_caches import caches


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(value):
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _raw_public(public_key):
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def thumbprint(x):
    """RFC 7638 JWK thumbprint of an Ed25519 public key given as base64url `x`."""
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(members.encode()).digest())


def _seed():
    configured = settings.LEDGER_SIGNING_KEY
    if configured:
        try:
            seed = base64.b64decode(configured + "=" * (-len(configured) % 4), altchars=b"-_")
        except ValueError as exc:
            raise ImproperlyConfigured("LEDGER_SIGNING_KEY must be base64 of a 32-byte Ed25519 seed.") from exc
        if len(seed) != 32:
            raise ImproperlyConfigured("LEDGER_SIGNING_KEY must be base64 of a 32-byte Ed25519 seed.")
        return seed
    # Development: a stable key derived from SECRET_KEY (itself kept under var/ in development).
    return hmac.new(settings.SECRET_KEY.encode(), b"consent-ledger-signing-key", hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _signing_key(seed):
    private = Ed25519PrivateKey.from_private_bytes(seed)
    x = b64url(_raw_public(private.public_key()))
    return private, thumbprint(x), x


caches.register("proof.signing_key", _signing_key.cache_clear)


def signing_key():
    """(private key, kid, public x) of the current signing key."""
    return _signing_key(_seed())


def sign(payload):
    """(kid, base64url signature) over the canonical JSON of `payload`."""
    private, kid, _ = signing_key()
    return kid, b64url(private.sign(canonical_json(payload)))


def public_keys():
    """{kid: base64url x} of every key whose signatures still verify: the current one first."""
    _, kid, x = signing_key()
    keys = {kid: x}
    for old in settings.LEDGER_PUBLIC_KEYS:
        old = old.strip()
        if old:
            keys.setdefault(thumbprint(old), old)
    return keys


def jwks():
    """The published key set (RFC 7517, Ed25519 keys as in RFC 8037)."""
    return {
        "keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}
            for kid, x in public_keys().items()
        ]
    }


def verify(payload, kid, signature, keys=None):
    """Whether `signature` by key `kid` is valid over `payload` (False for an unknown kid)."""
    x = (keys if keys is not None else public_keys()).get(kid)
    if x is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(b64url_decode(x)).verify(b64url_decode(signature), canonical_json(payload))
    except (InvalidSignature, ValueError):
        return False
    return True
