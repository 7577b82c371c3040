"""The TCF demo site (`/demo/tcf/`): the network demo's purposes and banner under the key `tcf`,
with IAB TCF switched on for a few vendors of the GVL in use (see docs/tcf.md)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cookies.models import TcfSettings
from cookies.tcf import current_gvl, save_settings
from demo import network
from demo.loader import load_site

KEY = "tcf"
DEMO_VENDOR = 755  # the demo page's test tag reads this vendor's consent


def spec():
    return {**network.SITE, "key": KEY, "name": "bizTOnet News (IAB TCF demo)", "demo_path": "/demo/tcf/"}


class Command(BaseCommand):
    help = "Create the IAB TCF demo site (key tcf) with TCF switched on; needs a GVL (update_gvl)."

    def add_arguments(self, parser):
        parser.add_argument("--gvl-file", help="Load this vendor-list.json first (else the GVL in use).")
        parser.add_argument("--vendors", type=int, nargs="*", help="GVL vendor ids (default: up to 12, with 755).")

    def handle(self, *args, gvl_file=None, vendors=None, **options):
        if gvl_file:
            call_command("update_gvl", file=gvl_file, stdout=self.stdout)
        gvl = current_gvl()
        if gvl is None:
            raise CommandError("No Global Vendor List loaded: run manage.py update_gvl first (or give --gvl-file).")
        live = sorted(int(k) for k, v in gvl.data["vendors"].items() if not v.get("deletedDate"))
        if vendors is None:
            vendors = sorted({*live[:11], DEMO_VENDOR} & set(live))
        unknown = sorted(set(vendors) - set(live))
        if unknown:
            raise CommandError(f"Not in GVL version {gvl.version}: {', '.join(map(str, unknown))}.")
        site = load_site(spec())
        tcf = TcfSettings.objects.filter(site=site).first() or TcfSettings(site=site)
        tcf.enabled, tcf.vendor_ids, tcf.publisher_cc, tcf.publisher_purposes = True, vendors, "FR", [1]
        try:
            save_settings(tcf)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"site {site.key}: TCF on with {len(vendors)} vendors of GVL version {gvl.version}")
        if not settings.TCF_CMP_ID:
            self.stderr.write("TCF_CMP_ID is not set: TC strings carry CMP id 0, which vendors reject.")
