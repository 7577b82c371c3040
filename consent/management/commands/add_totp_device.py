import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Enroll a TOTP authenticator for a staff user; prints the otpauth:// URI and a terminal QR code."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="Label of the device.")
        parser.add_argument("--no-qr", action="store_true", help="Print the URI only.")

    def handle(self, username, name, no_qr, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_staff:
            raise CommandError(f"{username!r} is not staff; the console is for staff only.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(device.config_url)
        if not no_qr:
            segno.make(device.config_url, error="m").terminal(out=self.stdout, compact=True)
        self.stderr.write("Scan it into an authenticator app; the URI is a secret, do not share it.")
