"""Outbound requests to addresses staff typed in (webhooks) must not reach inside the network.

One check serves at save time and at connect time: the URL must be https (http only with
`DEBUG`), and every address its host resolves to must be public: loopback, private,
link-local, shared (100.64/10), multicast, reserved and unspecified addresses are refused, also
when wrapped in IPv6 (IPv4-mapped, NAT64, 6to4). At connect time the host is resolved once,
checked, and the connection goes to the checked address, so a DNS answer that changes between
check and connect (rebinding) cannot redirect it; TLS still verifies the certificate for the
host name. `WEBHOOK_ALLOW_PRIVATE_NETWORKS=1` lifts the address check (for receivers on the
same machine or network); the scheme rule stays.
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings

# Failure reasons stored and shown: generic on purpose, so a delivery log cannot be used to
# learn which internal ports are open.
CONNECTION_FAILED = "connection failed"
REDIRECT_REFUSED = "redirect refused"
ADDRESS_REFUSED = "address refused"

RESPONSE_BYTES_READ = 1024

# Ranges that `is_global` does not already exclude in every Python version we run on, or that
# carry an IPv4 address inside an IPv6 one.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class UnsafeTarget(ValueError):
    """The URL may not be used; the message says why in words fit for a form."""


def allow_private():
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def is_public(address):
    """True if `address` (an ip_address) is a public unicast address."""
    if address.version == 6:
        embedded = address.ipv4_mapped
        if embedded is None and any(address in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address in _SIX_TO_FOUR:
            embedded = address.sixtofour
        if embedded is not None:
            return is_public(embedded)
        if address.teredo is not None:
            return False
    if address.version == 4 and address in _SHARED:
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def parse(url):
    """Split a webhook URL into (scheme, host, port, path); raise UnsafeTarget if it cannot be used."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        raise UnsafeTarget("Enter a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and settings.DEBUG):
        raise UnsafeTarget("Webhook URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("Webhook URLs must not contain a user name or password.")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("Enter a valid URL.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host, port):
    """The addresses `host` resolves to, each checked unless private networks are allowed."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise UnsafeTarget("The host name does not resolve.") from None
        addresses = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UnsafeTarget("The host name does not resolve.")
    if not allow_private():
        for address in addresses:
            if not is_public(address):
                raise UnsafeTarget(
                    "Webhook URLs must point to a public address, not a loopback, private, "
                    "link-local, multicast or reserved one."
                )
    return addresses


def check_url(url):
    """Everything checked at save time: scheme, and where the host name points now."""
    _scheme, host, port, _path = parse(url)
    resolve(host, port)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Sends to `host` (Host header) over a connection to the already checked `address`."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked `address`, with SNI and certificate verification for `host`."""

    def __init__(self, host, port, address, timeout, context=None):
        super().__init__(host, port, timeout=timeout, context=context or ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((str(self._address), self.port), self.timeout)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def post(url, body, headers, *, timeout, context=None):
    """POST `body` once; return (status code or None, failure reason or "").

    Redirects are not followed (a 3xx is a failure), at most a small part of the response is
    read, and the reasons are generic: they name no socket error.
    """
    try:
        scheme, host, port, path = parse(url)
        addresses = resolve(host, port)
    except UnsafeTarget:
        return None, ADDRESS_REFUSED
    for address in addresses:
        if scheme == "https":
            conn = _PinnedHTTPSConnection(host, port, address, timeout, context)
        else:
            conn = _PinnedHTTPConnection(host, port, address, timeout)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(RESPONSE_BYTES_READ)
            code = response.status
        except (OSError, http.client.HTTPException, ValueError):
            continue
        finally:
            conn.close()
        if 300 <= code < 400:
            return code, REDIRECT_REFUSED
        if 200 <= code < 300:
            return code, ""
        return code, f"HTTP {code}"
    return None, CONNECTION_FAILED
