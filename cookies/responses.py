"""HTTP answers for bodies kept encoded in the cache (see cookies.published): pick the encoding
the client accepts, answer 304 to a matching If-None-Match, and say what the answer varies on."""

from django.http import HttpResponse, HttpResponseNotModified

# Preference order when the client accepts several.
ENCODINGS = (("br", "br", "-br"), ("gzip", "gzip", "-gz"))


def accepted_encodings(header):
    """Content codings the Accept-Encoding header allows (q > 0)."""
    allowed, star = set(), False
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        quality = 1.0
        params = params.strip().replace(" ", "")
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if coding == "*":
            star = quality > 0
        elif coding and quality > 0:
            allowed.add(coding)
    if star:
        allowed |= {name for name, _, _ in ENCODINGS}
    return allowed


def _matches(if_none_match, etag):
    """Whether If-None-Match names any encoding of this body (weak comparison), or is *."""
    if not if_none_match:
        return False
    known = (f'"{etag}"', f'"{etag}-br"', f'"{etag}-gz"')
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/")
        if tag == "*" or tag in known:
            return True
    return False


def encoded_response(request, hit, content_type, *, cache_control, vary, headers=None):
    """A 200 with the best encoding of the cached `hit`, or a 304 when the client has it."""
    meta = request.META  # not request.headers: building that mapping costs more than this whole answer
    accepted = accepted_encodings(meta.get("HTTP_ACCEPT_ENCODING"))
    field, coding, suffix = next(((f, c, s) for f, c, s in ENCODINGS if c in accepted), ("identity", None, ""))
    etag = f'"{hit["etag"]}{suffix}"'
    if _matches(meta.get("HTTP_IF_NONE_MATCH"), hit["etag"]):
        # No Content-Type, and a Content-Length only as the 200 would send it (RFC 9110, 8.6):
        # left unset, CommonMiddleware would add "0", the length of this empty answer.
        response = HttpResponseNotModified()
        response["Content-Length"] = len(hit[field])
    else:
        response = HttpResponse(hit[field], content_type=content_type)
        if coding:
            response["Content-Encoding"] = coding
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["Vary"] = ", ".join(vary)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
