import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from consent.models import ApiKey, Site
from consent.tokens import make_api_key

USERNAME = "dpo"
KEY_NAME = "demo"


class Command(BaseCommand):
    help = (
        "For the first-run script only: create or reset the superuser 'dpo' with a new random password "
        "and a fresh demo API key per site (earlier demo keys are revoked), and print them."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        password = secrets.token_urlsafe(12)
        User = get_user_model()
        user = User.objects.filter(username=USERNAME).first() or User(username=USERNAME)
        user.email = user.email or "dpo@example.com"
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"admin: {settings.PUBLIC_BASE_URL}/admin/  user: {USERNAME}  password: {password}")
        for site in Site.objects.order_by("key"):
            ApiKey.objects.filter(site=site, name=KEY_NAME, revoked_at__isnull=True).update(revoked_at=timezone.now())
            _, key = make_api_key(site, name=KEY_NAME)
            self.stdout.write(f"api key {site.key}: {key}")
