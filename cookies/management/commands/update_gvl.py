"""Download IAB Europe's Global Vendor List (v3) and its translations, and put it in use.

Run daily (cron, a scheduled task): `manage.py update_gvl`. Offline or in tests:
`manage.py update_gvl --file vendor-list.json [--translation fr=purposes-fr.json ...]`.
"""

import json
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from consent.models import Site
from cookies.tcf import load_gvl

TIMEOUT = 30
MAX_BYTES = 20 * 1024 * 1024


def _download(url):
    request = urllib.request.Request(url, headers={"User-Agent": "consent-platform update_gvl"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - fixed https URL from settings
        body = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise CommandError(f"{url} is larger than {MAX_BYTES} bytes.")
    return json.loads(body)


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc


class Command(BaseCommand):
    help = "Load the current IAB Global Vendor List (v3) and purpose translations."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Load this vendor-list.json instead of downloading it.")
        parser.add_argument(
            "--translation",
            action="append",
            default=[],
            metavar="LANG=PATH",
            help="With --file: a purposes-LANG.json to load (repeatable).",
        )

    def handle(self, *args, **options):
        translations = {}
        if options["file"]:
            data = _read(options["file"])
            for item in options["translation"]:
                language, sep, path = item.partition("=")
                if not sep or not language.isalpha():
                    raise CommandError(f"--translation expects LANG=PATH, got {item!r}.")
                translations[language.lower()] = _read(path)
        else:
            base = settings.TCF_GVL_URL.rstrip("/") + "/"
            try:
                data = _download(base + "vendor-list.json")
                languages = {lang for s in Site.objects.values_list("languages", flat=True) for lang in s or []}
                for language in sorted(languages - {"en"}):
                    try:
                        translations[language] = _download(f"{base}purposes-{language}.json")
                    except OSError:
                        self.stderr.write(f"No translation for {language!r}; English texts are used.")
            except (OSError, ValueError) as exc:
                raise CommandError(f"Could not download the vendor list: {exc}") from exc
        try:
            gvl, created = load_gvl(data, translations)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        state = "loaded" if created else "already loaded"
        languages = ", ".join(sorted(gvl.translations)) or "English only"
        self.stdout.write(f"GVL version {gvl.version} {state} ({len(data['vendors'])} vendors; texts: {languages}).")
