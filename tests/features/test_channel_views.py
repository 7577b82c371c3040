"""The text-message opt-out page records the caller's address the way every other entry does."""

import pytest
from django.urls import reverse

from consent.models import ConsentEvent, Purpose
from features import channels
from tests.people import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("behind_proxy", "recorded"),
    [(False, "10.1.2.0"), (True, "198.51.100.0")],
)
def test_sms_opt_out_records_the_client_address_honouring_behind_proxy(client, site, settings, behind_proxy, recorded):
    settings.BEHIND_PROXY = behind_proxy
    sms = Purpose.objects.create(site=site, key="offers_sms", kind="communication", channel="sms", position=9)
    subject_id = make_user(site, decisions={"offers_sms": "granted"})
    path = reverse("consent:sms-opt-out", kwargs={"token": channels.sms_token(subject_id, sms)})
    response = client.post(path, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.9")
    assert response.status_code == 200
    event = ConsentEvent.objects.get(purpose=sms, decision="withdrawn")
    assert event.ip == recorded
