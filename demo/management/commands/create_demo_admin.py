import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from consent.models import ApiKey, Site
from consent.tokens import find_api_key, make_api_key

USERNAME = "dpo"
KEY_NAME = "demo"
CREDENTIALS_FILE = "demo-credentials.json"


def _credentials_path():
    return settings.VAR_DIR / CREDENTIALS_FILE


def load_credentials():
    """The demo login and keys kept from an earlier run ({} on the first run or if unreadable)."""
    try:
        data = json.loads(_credentials_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(data):
    path = _credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _demo_key(site, plaintext):
    """The site's demo key with this plaintext: kept if live, re-created if the database lost it."""
    if plaintext:
        row = find_api_key(plaintext)
        if row is not None and row.site_id == site.pk:
            return row, plaintext
        parts = plaintext.split("_", 2)
        if row is None and len(parts) == 3 and not ApiKey.objects.filter(prefix=parts[1]).exists():
            return make_api_key(site, name=KEY_NAME, plaintext=plaintext)
    return make_api_key(site, name=KEY_NAME)


class Command(BaseCommand):
    help = (
        "For the first-run script only: create the superuser 'dpo' and a demo API key per site, and print "
        "them. The password and keys are kept in var/demo-credentials.json (development only, git-ignored) "
        "and reused on every run, so they stay valid across restarts."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        saved = load_credentials()
        password = saved.get("password") or secrets.token_urlsafe(12)
        User = get_user_model()
        user = User.objects.filter(username=USERNAME).first() or User(username=USERNAME)
        user.email = user.email or "dpo@example.com"
        user.is_staff = user.is_superuser = user.is_active = True
        if not user.pk or not user.check_password(password):
            user.set_password(password)
        user.save()
        self.stdout.write(f"admin: {settings.PUBLIC_BASE_URL}/admin/  user: {USERNAME}  password: {password}")
        keys = {}
        saved_keys = saved.get("api_keys") if isinstance(saved.get("api_keys"), dict) else {}
        for site in Site.objects.order_by("key"):
            row, keys[site.key] = _demo_key(site, saved_keys.get(site.key))
            ApiKey.objects.filter(site=site, name=KEY_NAME, revoked_at__isnull=True).exclude(pk=row.pk).update(
                revoked_at=timezone.now()
            )
            self.stdout.write(f"api key {site.key}: {keys[site.key]}")
        save_credentials({"password": password, "api_keys": {**saved_keys, **keys}})
