"""Measure what the banner costs on the wire: `GET /c/<site>.js` for each demo site, as served
with brotli, with gzip and uncompressed, and the details the preferences dialog loads.

Budget: the network demo site's embed (runtime + CSS + configuration, one response) at most
6,144 bytes with brotli, in every language the platform speaks (the site's own languages, else
its default) and in each regime (a visitor in France, California, New York).

    python bench/banner_size.py                          # in-process: a throwaway SQLite database
    python bench/banner_size.py --url http://127.0.0.1:8601   # a running server (load_demo done)
"""

import argparse
import gzip
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

import brotli

BUDGET = 6 * 1024
ROOT = Path(__file__).resolve().parents[1]
SITES = ("network", "mailer")
# The geo header the in-process server trusts (a running server: set GEO_HEADER alike).
GEO_HEADER = os.environ.get("BENCH_GEO_HEADER", "X-Geo")
PATHS = {
    "embed": ("/c/{site}.js", None),
    "embed ?lang=fr": ("/c/{site}.js?lang=fr", None),
    "embed US-CA": ("/c/{site}.js", "US-CA"),
    "embed US-NY": ("/c/{site}.js", "US-NY"),
    "details (dialog)": ("/c/{site}/details.json", None),
}
# Chunks the embed loads only for some visitors: sizes of the built files.
CHUNKS = ("prefs.js", "regime.js", "domains.js", "notice.js")
ENCODINGS = {"br": "br", "gzip": "gzip", "none": "identity"}
LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "pl", "pt", "tr")  # settings.LANGUAGES
PLACES = (None, "US-CA", "US-NY")  # the default (France), opt-out, notice


def _over_http(base):
    def get(path, encoding, place=None):
        headers = {"Accept-Encoding": encoding, "Accept-Language": "en", **({GEO_HEADER: place} if place else {})}
        request = urllib.request.Request(base + path, headers=headers)
        with urllib.request.urlopen(request) as response:
            return len(response.read()), response.headers.get("Content-Encoding")

    return get


def _in_process():
    """A Django test client (the project's middleware) over a throwaway database with the demo sites."""
    tmp = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/size.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "size-measurement-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["GEO_HEADER"] = GEO_HEADER
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from demo import mailer, network
    from demo.loader import load_site

    call_command("migrate", verbosity=0)
    for spec in (network.SITE, mailer.SITE):
        load_site(spec)
    client = Client()

    def get(path, encoding, place=None):
        geo = {"HTTP_" + GEO_HEADER.upper().replace("-", "_"): place} if place else {}
        response = client.get(path, HTTP_ACCEPT_ENCODING=encoding, HTTP_ACCEPT_LANGUAGE="en", **geo)
        assert response.status_code == 200, (path, response.status_code)
        return len(response.content), response.get("Content-Encoding")

    return get


def measure(get):
    """{(site, what): {encoding: bytes on the wire}}"""
    sizes = {}
    for site in SITES:
        for what, (path, place) in PATHS.items():
            row = {}
            for name, header in ENCODINGS.items():
                size, coding = get(path.format(site=site), header, place)
                assert (coding or "identity") == header, (path, header, coding)
                row[name] = size
            sizes[(site, what)] = row
    for name in CHUNKS:
        body = (ROOT / "static" / "consent" / name).read_bytes()
        sizes[("chunk", name)] = {
            "br": len(brotli.compress(body, quality=11)),
            "gzip": len(gzip.compress(body, compresslevel=9, mtime=0)),
            "none": len(body),
        }
    return sizes


def budget_rows(get):
    """{place: {language: bytes with brotli}} of the network embed."""
    return {place: {lang: get(f"/c/network.js?lang={lang}", "br", place)[0] for lang in LANGUAGES} for place in PLACES}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running server with the demo sites loaded")
    args = parser.parse_args(argv)
    get = _over_http(args.url.rstrip("/")) if args.url else _in_process()
    sizes = measure(get)
    print(f"{'site':8} {'response':18} {'br':>7} {'gzip':>7} {'none':>7}")
    for (site, what), row in sizes.items():
        print(f"{site:8} {what:18} {row['br']:>7} {row['gzip']:>7} {row['none']:>7}")
    rows = budget_rows(get)
    print("/c/network.js?lang=xx with brotli, per visitor's place:")
    print(f"{'place':8} " + " ".join(f"{lang:>5}" for lang in LANGUAGES))
    for place, row in rows.items():
        print(f"{place or 'default':8} " + " ".join(f"{row[lang]:>5}" for lang in LANGUAGES))
    wire = max(size for row in rows.values() for size in row.values())
    verdict = "OK" if wire <= BUDGET else "OVER"
    print(f"budget {BUDGET} bytes br for /c/network.js, every language and place: {verdict}", end=" ")
    print(f"(largest {wire}, {BUDGET - wire} left)")
    return 0 if wire <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
