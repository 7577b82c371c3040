"""Staff sign-in: an optional TOTP second factor and a per username-and-address failure throttle.

The lock-out counter is keyed on the user name folded the way people mistype it (NFKC and
casefold, so "DPO", "ｄｐｏ" and "dpo" share one counter) and on the real client address (the
shared helper, honouring BEHIND_PROXY). Every failure (wrong password, missing or wrong code)
answers with one message, so a guesser cannot learn that the password was right.
"""

import hashlib
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm

from consent.client_ip import client_ip

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
THROTTLED_MESSAGE = (
    "Too many failed sign-in attempts for this account from your address. "
    "Wait 15 minutes before trying again, or ask another administrator to help."
)


FAILED_MESSAGE = (
    "Please enter the correct user name, password and authentication code of a staff account. "
    "All fields may be case-sensitive."
)
FAILED_MESSAGE_PASSWORD_ONLY = (
    "Please enter the correct user name and password of a staff account. Both fields may be case-sensitive."
)


def normalise_username(username):
    """The form of a user name the lock-out counts under: look-alike spellings fold together."""
    if not isinstance(username, str):
        return ""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def _key(username, request):
    # Hashed so that the cache holds no username or address in clear.
    address = client_ip(request) if request is not None else ""
    raw = f"{normalise_username(username)}|{address}"
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

    failed_message = FAILED_MESSAGE

    def clean(self):
        username = self.data.get("username", "")
        if is_locked(username, self.request):
            raise forms.ValidationError(THROTTLED_MESSAGE, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            note_failure(username, self.request)
            raise forms.ValidationError(self.failed_message, code="invalid_login") from None
        clear_failures(username, self.request)
        return cleaned


class PasswordSignInForm(ThrottleMixin, AdminAuthenticationForm):
    """Password only: the first-run demo, where CONSOLE_REQUIRE_OTP is off."""

    failed_message = FAILED_MESSAGE_PASSWORD_ONLY


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
