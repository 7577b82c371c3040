"""Staff users with TOTP devices for the console tests (real devices, real codes)."""

from django.contrib.auth.models import Group, User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from consent.roles import setup_roles

PASSWORD = "a long test passphrase 7391"


def make_staff(username, role=None, *, superuser=False):
    """A staff user in a role group (roles are set up first) with one confirmed TOTP device."""
    if not Group.objects.filter(name="Auditor").exists():
        setup_roles()
    if superuser:
        user = User.objects.create_superuser(username, f"{username}@example.test", PASSWORD)
    else:
        user = User.objects.create_user(username, f"{username}@example.test", PASSWORD, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def current_code(device):
    """The code an authenticator app would show now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def sign_in(client, user, device):
    """A session signed in with the password and verified by the device (as after a real sign-in)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
