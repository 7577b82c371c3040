"""Rights requests: opened in the centre, due in a month, extended to three at most, completed;
erasure removes identifiers and keeps the pseudonymous ledger."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from consent.exceptions import ConsentError
from consent.ledger import verify_chain
from consent.models import (
    AuditEvent,
    ConsentEvent,
    ConsentState,
    DecisionReceipt,
    RightsRequest,
    Subject,
    SubjectAlias,
)
from consent.services.subjects import find_subject
from features.centre.preferences import make_preference_link
from features.rights import (
    add_months,
    complete_rights_request,
    extend_rights_request,
    open_rights_request,
    reject_rights_request,
)
from tests.people import make_user, open_centre


@pytest.fixture
def user(site):
    return make_user(site, decisions={"analytics": "granted", "advertising": "denied"})


@pytest.fixture
def dpo(django_user_model):
    return django_user_model.objects.create_user("dpo")


def test_add_months_clamps_to_month_end():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)


def test_a_request_from_the_centre_is_due_in_one_month(client, site, user):
    open_centre(client, site, user)
    response = client.post("/preferences/acme/requests", {"kind": "access", "details": "All I gave you."}, follow=True)
    request = RightsRequest.objects.get()
    assert (request.kind, request.status, request.subject_id) == ("access", "open", user)
    assert request.due_at == add_months(request.received_at, 1)
    assert f"We will answer by {request.due_at:%Y-%m-%d}" in response.content.decode()
    assert "Access to my data" in response.content.decode()  # listed with its status
    assert AuditEvent.objects.filter(action="rights.opened", object_id=str(request.pk)).exists()
    bad = client.post("/preferences/acme/requests", {"kind": "everything"})
    assert bad.status_code == 400 and RightsRequest.objects.count() == 1


def test_extension_needs_a_reason_and_stops_at_three_months(site, user, dpo):
    request = open_rights_request(site, user, "portability")
    with pytest.raises(ConsentError) as err:
        extend_rights_request(request, "", dpo)
    assert "reason" in err.value.fields
    extend_rights_request(request, "Large archive to assemble.", dpo, months=1)
    assert request.due_at == add_months(request.received_at, 2) and request.status == "extended"
    with pytest.raises(ConsentError) as err:
        extend_rights_request(request, "More time", dpo, months=2)
    assert err.value.code == "rights.extension_limit"
    extend_rights_request(request, "Third-party processor is slow.", dpo, months=1)
    assert request.due_at == add_months(request.received_at, 3)
    with pytest.raises(ConsentError) as err:
        extend_rights_request(request, "Still more", dpo, months=1)
    assert "maximum of three months" in err.value.message
    request.refresh_from_db()
    assert request.due_at == add_months(request.received_at, 3)
    assert "Large archive" in request.extension_reason and "processor is slow" in request.extension_reason
    assert AuditEvent.objects.filter(action="rights.extended").count() == 2


def test_complete_and_reject_close_the_request(site, user, dpo):
    access = open_rights_request(site, user, "access")
    complete_rights_request(access, dpo, "Export sent by email.")
    assert (access.status, access.completed_by, access.resolution) == ("completed", dpo, "Export sent by email.")
    with pytest.raises(ConsentError):
        extend_rights_request(access, "late", dpo)
    with pytest.raises(ConsentError):
        complete_rights_request(access, dpo)
    objection = open_rights_request(site, user, "objection")
    with pytest.raises(ConsentError):
        reject_rights_request(objection, dpo, "")
    reject_rights_request(objection, dpo, "Identity not confirmed.")
    assert objection.status == "rejected"
    assert AuditEvent.objects.filter(action__in=["rights.completed", "rights.rejected"]).count() == 2


def test_erasure_removes_identifiers_and_keeps_the_pseudonymous_ledger(client, site, user, dpo):
    link, _ = make_preference_link(site, user)
    request = open_rights_request(site, user, "erasure", details="I am Ada Lovelace, erase me.")
    events_before = ConsentEvent.objects.filter(subject_id=user).count()
    complete_rights_request(request, dpo, "Erased.")

    subject = Subject.objects.get(pk=user)
    assert subject.erased_at is not None and subject.email == "" and subject.birth_year is None
    assert not SubjectAlias.objects.filter(subject_id=user).exists()
    assert find_subject(site, "user-42") is None
    request.refresh_from_db()
    assert request.details == "" and request.status == "completed"
    assert all(r.body["subject"] is None for r in DecisionReceipt.objects.filter(subject_id=user))
    # The ledger is kept, with the open consent closed by an erasure event, and still verifies.
    events = list(ConsentEvent.objects.filter(subject_id=user).order_by("seq"))
    assert len(events) == events_before + 1
    assert (events[-1].purpose.key, events[-1].decision, events[-1].method) == ("analytics", "withdrawn", "erasure")
    assert ConsentState.objects.get(subject_id=user, purpose__key="analytics").state == "withdrawn"
    assert verify_chain(site) is None
    audit = AuditEvent.objects.get(action="subject.erased")
    assert audit.actor == dpo and audit.data["aliases_removed"] == 1
    assert "Ada" not in str(list(AuditEvent.objects.values_list("data", flat=True)))
    # The old link now opens nothing, and the site's reference starts a new, unrelated subject.
    response = client.get("/" + link.split("/", 3)[3])
    assert response.status_code == 410 and "erased" in response.content.decode()
    make_user(site)
    assert find_subject(site, "user-42") != user


def test_erased_subject_cannot_open_new_requests(site, user, dpo):
    complete_rights_request(open_rights_request(site, user, "erasure"), dpo)
    with pytest.raises(ConsentError) as err:
        open_rights_request(site, user, "access")
    assert err.value.status == 410


def test_requests_validate_kind_and_details(site, user):
    with pytest.raises(ConsentError) as err:
        open_rights_request(site, user, "nope", details="x" * 3000)
    assert set(err.value.fields) == {"kind", "details"}
    assert not RightsRequest.objects.exists()
    assert timezone.now()  # the clock is real: due dates are computed from it
