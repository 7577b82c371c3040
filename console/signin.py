"""Staff sign-in: an optional TOTP second factor and a per username-and-address failure throttle."""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
THROTTLED_MESSAGE = (
    "Too many failed sign-in attempts for this account from your address. "
    "Wait 15 minutes before trying again, or ask another administrator to help."
)


def _client_ip(request):
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


def _key(username, request):
    # Hashed so that the cache holds no username or address in clear.
    raw = f"{(username or '').strip().lower()}|{_client_ip(request)}"
    return "console-signin:" + hashlib.sha256(raw.encode()).hexdigest()


def failures(username, request):
    return cache.get(_key(username, request), 0)


def is_locked(username, request):
    return failures(username, request) >= MAX_FAILURES


def note_failure(username, request):
    key = _key(username, request)
    # add() starts the window on the first failure; incr() does not extend it.
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, WINDOW_SECONDS)


def clear_failures(username, request):
    cache.delete(_key(username, request))


class ThrottleMixin:
    """Refuse a locked username+address before checking anything; count every failed attempt."""

    def clean(self):
        username = self.data.get("username", "")
        if is_locked(username, self.request):
            raise forms.ValidationError(THROTTLED_MESSAGE, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            note_failure(username, self.request)
            raise
        clear_failures(username, self.request)
        return cleaned


class PasswordSignInForm(ThrottleMixin, AdminAuthenticationForm):
    """Password only: the first-run demo, where CONSOLE_REQUIRE_OTP is off."""


class OtpSignInForm(ThrottleMixin, OTPAdminAuthenticationForm):
    """Password and a TOTP code from one of the user's confirmed devices."""

    otp_token = forms.CharField(
        required=False,
        label="Authentication code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def _chosen_device(self, user):
        """A person with one authenticator need not pick it; with several, the form asks which."""
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                device = devices[0]
        return device


def otp_required():
    return bool(getattr(settings, "CONSOLE_REQUIRE_OTP", False))
