"""Where a visitor is, as `CC` or `CC-RR` (ISO 3166-1 alpha-2, optionally an ISO 3166-2 region).

Sources, first that answers wins:
1. the request header named by `GEO_HEADER`, set by the operator's CDN or proxy (e.g.
   `CF-IPCountry`, `CloudFront-Viewer-Country`), plus `GEO_REGION_HEADER` for the region when
   the CDN sends it apart (`CloudFront-Viewer-Country-Region`, `cf-region-code`). Unset: no
   header is trusted, because a client can send any header it likes;
2. an offline IP database in MaxMind's format at `GEO_IP_DATABASE` (GeoLite2, DB-IP Lite,
   IPinfo Lite...), read with `maxminddb`; never a network look-up;
3. the site's `default_jurisdiction` (may be blank: then the site's default regime applies).

Values outside the ISO shape, or codes that name no country (`XX`, `T1`, `EU`...), are ignored.
"""

import re
import threading

from django.conf import settings

from consent.process_caches import caches

try:  # optional: only needed when GEO_IP_DATABASE is set
    import maxminddb
except ImportError:  # pragma: no cover - the pinned requirements install it
    maxminddb = None

SHAPE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
# ISO 3166-1 alpha-2 codes assigned to countries (no user-assigned or CDN placeholder codes).
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()
)

_reader_lock = threading.Lock()
_readers = {}


def normalise(value):
    """`CC` or `CC-RR` in upper case, or "" if `value` is not a known country in ISO shape."""
    if not isinstance(value, str) or len(value) > 8:
        return ""
    code = value.strip().upper()
    if not SHAPE.match(code) or code[:2] not in COUNTRIES:
        return ""
    return code


def field_error(value):
    """Why `value` is no jurisdiction, or None: for explicit `jurisdiction` fields in requests."""
    if value == "" or normalise(value) == value:
        return None
    return "Expected an ISO 3166 country or region code in upper case, e.g. FR or US-CA."


def _from_headers(meta):
    name = getattr(settings, "GEO_HEADER", "")
    if not name:
        return ""
    country = normalise(meta.get("HTTP_" + name.upper().replace("-", "_"), ""))
    if not country:
        return ""
    region_name = getattr(settings, "GEO_REGION_HEADER", "")
    if region_name and "-" not in country:
        region = meta.get("HTTP_" + region_name.upper().replace("-", "_"), "").strip().upper()
        region = region.removeprefix(country + "-")
        combined = normalise(f"{country}-{region}") if region else ""
        return combined or country
    return country


def _reader(path):
    with _reader_lock:
        reader = _readers.get(path)
        if reader is None:
            reader = maxminddb.open_database(path)
            _readers[path] = reader
        return reader


def forget_readers():
    """Close the cached IP database readers (after the file was replaced, and in tests)."""
    with _reader_lock:
        for reader in _readers.values():
            reader.close()
        _readers.clear()


caches.register("jurisdiction.readers", forget_readers)


def _from_database(ip):
    path = getattr(settings, "GEO_IP_DATABASE", "")
    if not path or not ip or maxminddb is None:
        return ""
    try:
        record = _reader(path).get(ip)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError):
        return ""
    if not isinstance(record, dict):
        return ""
    country = record.get("country") or record.get("registered_country") or {}
    country = normalise(country.get("iso_code", "") if isinstance(country, dict) else "")
    if not country:
        return ""
    subdivisions = record.get("subdivisions") or []
    first = subdivisions[0] if isinstance(subdivisions, list) and subdivisions else {}
    region = first.get("iso_code", "") if isinstance(first, dict) else ""
    return (normalise(f"{country}-{region}") if isinstance(region, str) and region else "") or country


def detect(meta, ip):
    """(code, source) from the request alone: the trusted header, then the IP database; ("", "")."""
    code = _from_headers(meta)
    if code:
        return code, "header"
    code = _from_database(ip)
    if code:
        return code, "ip_database"
    return "", ""


def resolve(site, meta, ip):
    """The jurisdiction of a request to `site`: header, then IP database, then the site default.

    Returns (code, source), source one of "header", "ip_database", "site_default", "" (unknown).
    """
    code, source = detect(meta, ip)
    if code:
        return code, source
    code = normalise(site.default_jurisdiction)
    return (code, "site_default") if code else ("", "")
