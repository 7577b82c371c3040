"""Measure what the banner costs on the wire: `GET /c/<site>.js` for each demo site, as served
with brotli, with gzip and uncompressed, and the details the preferences dialog loads.

Budget: the network demo site's embed (runtime + CSS + configuration, one response) at most
6,144 bytes with brotli.

    python bench/banner_size.py                          # in-process: a throwaway SQLite database
    python bench/banner_size.py --url http://127.0.0.1:8601   # a running server (load_demo done)
"""

import argparse
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

BUDGET = 6 * 1024
ROOT = Path(__file__).resolve().parents[1]
SITES = ("network", "mailer")
PATHS = {
    "embed": "/c/{site}.js",
    "embed ?lang=fr": "/c/{site}.js?lang=fr",
    "details (dialog)": "/c/{site}/details.json",
}
ENCODINGS = {"br": "br", "gzip": "gzip", "none": "identity"}


def _over_http(base):
    def get(path, encoding):
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": encoding, "Accept-Language": "en"})
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

    def get(path, encoding):
        response = client.get(path, HTTP_ACCEPT_ENCODING=encoding, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, (path, response.status_code)
        return len(response.content), response.get("Content-Encoding")

    return get


def measure(get):
    """{(site, what): {encoding: bytes on the wire}}"""
    sizes = {}
    for site in SITES:
        for what, path in PATHS.items():
            row = {}
            for name, header in ENCODINGS.items():
                size, coding = get(path.format(site=site), header)
                assert (coding or "identity") == header, (path, header, coding)
                row[name] = size
            sizes[(site, what)] = row
    return sizes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running server with the demo sites loaded")
    args = parser.parse_args(argv)
    sizes = measure(_over_http(args.url.rstrip("/")) if args.url else _in_process())
    print(f"{'site':8} {'response':18} {'br':>7} {'gzip':>7} {'none':>7}")
    for (site, what), row in sizes.items():
        print(f"{site:8} {what:18} {row['br']:>7} {row['gzip']:>7} {row['none']:>7}")
    wire = sizes[("network", "embed")]["br"]
    print(f"budget {BUDGET} bytes br for /c/network.js: {'OK' if wire <= BUDGET else 'OVER'} ({BUDGET - wire} left)")
    return 0 if wire <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
