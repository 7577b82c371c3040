"""Sign-in lock-out keys and the one client-address helper every part of the platform reads."""

from django.test import Client, RequestFactory

from consent.client_ip import client_ip
from consent.roles import DPO
from console.signin import FAILED_MESSAGE, MAX_FAILURES, failures, normalise_username
from tests.staff import PASSWORD, current_code, make_staff


def _request(**meta):
    return RequestFactory().get("/", **meta)


def test_client_ip_ignores_forwarded_for_unless_behind_a_proxy(settings):
    settings.BEHIND_PROXY = False
    assert client_ip(_request(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "10.0.0.9"
    assert client_ip(_request(REMOTE_ADDR="garbage")) == ""


def test_client_ip_takes_the_rightmost_untrusted_hop(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = "203.0.113.5, 198.51.100.7, 192.0.2.44"
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)) == "192.0.2.44"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 4  # fewer hops than proxies: the header is not to be trusted
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)) == "10.0.0.1"


def test_client_ip_falls_back_to_the_peer_on_a_malformed_header(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not an ip")) == "10.0.0.1"
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="")) == "10.0.0.1"
    assert client_ip(_request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="2001:DB8::1")) == "2001:db8::1"


def test_look_alike_user_names_fold_to_one_name():
    assert normalise_username("DPO") == normalise_username("ｄｐｏ") == normalise_username(" dpo ") == "dpo"
    assert normalise_username("Straße") == normalise_username("STRASSE")
    assert normalise_username(None) == ""


def _login(client, username, password=PASSWORD, token="", **meta):
    meta.setdefault("REMOTE_ADDR", "10.0.0.1")
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "otp_token": token},
        **meta,
    )


def test_look_alike_spellings_share_one_lock_out(site):
    _, device = make_staff("dpo", DPO)
    client = Client()
    spellings = ["dpo", "DPO", "ｄｐｏ", "Dpo", "dPO"]
    for spelling in spellings:
        assert _login(client, spelling, password="wrong").status_code == 200
    assert failures("dpo", _request(REMOTE_ADDR="10.0.0.1")) == MAX_FAILURES
    refused = _login(client, "dpo", token=current_code(device))
    assert refused.status_code == 200 and "Too many failed sign-in attempts" in refused.content.decode()


def test_lock_out_follows_the_forwarded_client_behind_a_proxy(site, settings):
    settings.BEHIND_PROXY = True
    _, device = make_staff("dpo", DPO)
    client = Client()
    for _ in range(MAX_FAILURES):
        _login(client, "dpo", password="wrong", HTTP_X_FORWARDED_FOR="198.51.100.7")
    refused = _login(client, "dpo", token=current_code(device), HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert "Too many failed sign-in attempts" in refused.content.decode()
    # Same proxy (REMOTE_ADDR), another client behind it: not locked out.
    other = _login(Client(), "dpo", token=current_code(device), HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 302


def test_wrong_password_and_wrong_code_give_the_same_message(site):
    _, device = make_staff("dpo", DPO)
    wrong_code = "000000" if current_code(device) != "000000" else "111111"
    answers = [
        _login(Client(), "dpo", password="wrong", token=current_code(device)),
        _login(Client(), "dpo", token=wrong_code),
        _login(Client(), "dpo", token=""),
        _login(Client(), "nobody", token=wrong_code),
    ]
    for answer in answers:
        html = answer.content.decode()
        assert answer.status_code == 200 and FAILED_MESSAGE in html
        assert "Invalid token" not in html and "OTP token" not in html
