"""Choices per company within a purpose in the preference centre ("opt out of sharing with
selected companies"): one switch per vendor, recorded as vendor-level events."""

import pytest

from consent.models import ConsentState, Vendor
from tests.people import events, make_user, open_centre

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(site):
    Vendor.objects.create(site=site, key="other_ads", name="Other Ads", country="FR").purposes.add(
        site.purposes.get(key="advertising")
    )
    return make_user(site, decisions={"advertising": "granted"})


def save(client, site, **fields):
    data = {"purpose-advertising": "granted", "vendor.advertising.partner_ads": "denied"}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/preferences/{site.key}/choices", data)


def vendor_state(user, key):
    state = ConsentState.objects.filter(subject_id=user, vendor__key=key).first()
    return state.state if state else None


def test_the_centre_shows_a_switch_per_company(client, site, user):
    html = open_centre(client, site, user).content.decode()
    for key in ("partner_ads", "other_ads"):
        assert f'<input type="hidden" name="vendor.advertising.{key}" value="denied">' in html
        assert f'id="vendor-advertising-{key}" value="granted" checked>' in html


def test_refusing_one_company_keeps_the_others(client, site, user):
    open_centre(client, site, user)
    # The browser sends the hidden "denied" and, for a ticked box, "granted" after it.
    response = client.post(
        "/preferences/acme/choices",
        {
            "purpose-advertising": "granted",
            "vendor.advertising.partner_ads": "denied",
            "vendor.advertising.other_ads": ["denied", "granted"],
        },
    )
    assert response.status_code == 302
    assert vendor_state(user, "partner_ads") == "denied"
    assert vendor_state(user, "other_ads") is None  # never refused: nothing recorded
    [event] = events(user, vendor__key="partner_ads")
    assert (event.decision, event.method, event.purpose.key) == ("denied", "preference_centre", "advertising")
    html = client.get("/preferences/acme/").content.decode()
    assert 'id="vendor-advertising-partner_ads" value="granted">' in html  # no longer ticked
    assert 'id="vendor-advertising-other_ads" value="granted" checked>' in html


def test_allowing_a_company_again(client, site, user):
    open_centre(client, site, user)
    save(client, site)
    client.post(
        "/preferences/acme/choices",
        {"purpose-advertising": "granted", "vendor.advertising.partner_ads": ["denied", "granted"]},
    )
    assert vendor_state(user, "partner_ads") == "granted"
    assert [e.decision for e in events(user, vendor__key="partner_ads")] == ["denied", "granted"]


def test_saving_the_same_choice_again_records_nothing(client, site, user):
    open_centre(client, site, user)
    save(client, site)
    before = len(events(user))
    save(client, site)
    assert len(events(user)) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("vendor.advertising.nobody", "denied"),  # not a vendor of the purpose
        ("vendor.analytics.partner_ads", "denied"),  # a vendor of another purpose
        ("vendor.advertising.partner_ads", "maybe"),
    ],
)
def test_a_bad_company_choice_is_a_4xx_naming_it_and_records_nothing(client, site, user, field, value):
    open_centre(client, site, user)
    before = len(events(user))
    response = client.post("/preferences/acme/choices", {"purpose-advertising": "granted", field: value})
    assert response.status_code == 400
    assert field in response.content.decode()
    assert len(events(user)) == before
