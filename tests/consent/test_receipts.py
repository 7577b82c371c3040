"""Signed receipts: ISO/IEC TS 27560 shaped records, a detached Ed25519 signature anyone can check
offline with the published JWKS (the example of docs/proof.md, run as written), byte-identical
replays, and the preference centre's download."""

import copy
import json
import re
import uuid
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature

from consent.models import Site
from tests.people import make_user, open_centre

DOC = Path(__file__).resolve().parents[2] / "docs" / "proof.md"


def doc_example():
    """The offline verification example of docs/proof.md, executed as it is printed there."""
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["verify_receipt"]


def post_decision(client, **overrides):
    body = {
        "id": str(uuid.uuid4()),
        "visitor_id": "v-receipt",
        "decisions": {"analytics": "granted", "surveys": "denied"},
        "vendors": {"partner_ads": "denied"},
        "method": "custom",
        "language": "fr",
        "jurisdiction": "FR",
        **overrides,
    }
    response = client.post("/api/v1/sites/acme/decisions", body, content_type="application/json")
    return body, response


@pytest.fixture
def signed_site(site):
    Site.objects.filter(pk=site.pk).update(dpo_email="dpo@acme.test", policy_url="https://acme.test/privacy")
    return site


def test_receipt_carries_the_27560_record_and_verifies_offline(client, signed_site):
    body, response = post_decision(client)
    assert response.status_code == 201
    receipt = response.json()
    # The wire format's keys are all still there.
    assert {"receipt_id", "recorded_at", "site", "subject", "method", "decisions", "vendors"} <= set(receipt)
    record = receipt["consent_record"]
    assert record["schema_version"] == "ISO/IEC TS 27560:2023"
    assert record["record_id"] == record["receipt_id"] == body["id"]
    assert record["pii_principal_id"] == "v-receipt"
    assert record["pii_controllers"] == [
        {"name": "Acme", "contact": "dpo@acme.test", "url": "https://acme.test/privacy"}
    ]
    assert record["policy_url"] == "https://acme.test/privacy"
    assert (record["language"], record["jurisdiction"], record["collection_method"]) == ("fr", "FR", "custom")
    assert record["event_time"] == receipt["recorded_at"]
    assert record["withdrawal_method"].endswith("/preferences/acme/")
    assert {(p["purpose"], p["lawful_basis"], p["state"], p.get("vendor")) for p in record["purposes"]} == {
        ("analytics", "consent", "given", None),
        ("surveys", "legitimate_interest", "refused", None),
        ("advertising", "consent", "refused", "partner_ads"),
    }
    assert receipt["signature"]["alg"] == "EdDSA"
    jwks = client.get("/.well-known/consent-ledger-keys").json()
    verify_receipt = doc_example()
    verify_receipt(receipt, jwks)  # raises if the signature does not verify


def test_a_changed_byte_fails_verification(client, signed_site):
    _, response = post_decision(client)
    receipt = response.json()
    jwks = client.get("/.well-known/consent-ledger-keys").json()
    verify_receipt = doc_example()
    forged = copy.deepcopy(receipt)
    forged["consent_record"]["purposes"][0]["state"] = "refused"
    with pytest.raises(InvalidSignature):
        verify_receipt(forged, jwks)
    forged = copy.deepcopy(receipt)
    forged["consent_record"]["event_time"] = forged["consent_record"]["event_time"].replace("0", "1", 1)
    with pytest.raises(InvalidSignature):
        verify_receipt(forged, jwks)
    forged = copy.deepcopy(receipt)
    value = forged["signature"]["value"]
    forged["signature"]["value"] = ("B" if value[0] == "A" else "A") + value[1:]
    with pytest.raises(InvalidSignature):
        verify_receipt(forged, jwks)


def test_replay_returns_the_same_bytes(client, signed_site):
    body, first = post_decision(client)
    again = client.post("/api/v1/sites/acme/decisions", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content


def test_server_api_receipts_are_signed(client, signed_site, api_key):
    response = client.post(
        "/api/v1/subjects/user-7/decisions",
        {"id": str(uuid.uuid4()), "decisions": {"marketing_email": "granted"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["consent_record"]["pii_principal_id"] == "user-7"
    doc_example()(receipt, client.get("/.well-known/consent-ledger-keys").json())


def test_preference_centre_offers_the_signed_receipts(client, signed_site):
    subject_id = make_user(signed_site, decisions={"analytics": "granted"})
    page = open_centre(client, signed_site, subject_id).content.decode()
    assert "/preferences/acme/receipts.json" in page
    client.post("/preferences/acme/choices", {"purpose-advertising": "granted"})
    response = client.get("/preferences/acme/receipts.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["keys"].endswith("/.well-known/consent-ledger-keys")
    assert [r["method"] for r in data["receipts"]] == ["api", "preference_centre"]
    jwks = client.get("/.well-known/consent-ledger-keys").json()
    verify_receipt = doc_example()
    for receipt in data["receipts"]:
        verify_receipt(receipt, jwks)


def test_receipts_download_needs_the_centre_session(client, signed_site):
    assert client.get("/preferences/acme/receipts.json").status_code == 403
    assert client.get("/preferences/nope/receipts.json").status_code == 404
