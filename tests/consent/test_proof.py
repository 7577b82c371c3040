"""Tamper evidence: guards on the chain head, receipts and TRUNCATE; signed checkpoints; verify_ledger."""

import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from consent.ledger import drop_guards, event_hash, install_guards
from consent.models import ConsentEvent, ConsentState, DecisionReceipt, LedgerCheckpoint, Subject
from consent.proof import keys
from consent.proof.checkpoints import checkpoint_sites, link
from consent.proof.streams import events_by_subject
from consent.proof.verify import _hash, _RowHasher, verify_ledger
from consent.services.decisions import record_decision
from features.rights import erase_subject


def decide(site, decisions, visitor="v-1", **kw):
    kw.setdefault("method", "custom")
    return record_decision(site, receipt_id=uuid.uuid4(), decisions=decisions, visitor_id=visitor, **kw)


@pytest.fixture
def ledger(site):
    """Three subjects with a few decisions each, then a checkpoint."""
    for n in range(3):
        decide(site, {"analytics": "granted", "advertising": "denied"}, f"v-{n}")
        decide(site, {"analytics": "denied"}, f"v-{n}")
    decide(site, {"advertising": "granted"}, vendors={"partner_ads": "denied"}, visitor="v-0")
    checkpoint_sites()
    return site


def verify_command(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_ledger", *args, stdout=out, stderr=err)
    return exit_info.value.code, err.getvalue()


def subject_of(visitor):
    return Subject.objects.get(aliases__value=visitor)


def test_fast_hash_is_the_chain_hash(site):
    decide(site, {"analytics": "granted"}, user_agent='Mozilla "ünïcode"\n\x01\u2028', ip="203.0.113.9")
    decide(site, {"advertising": "granted"}, evidence={"z": 1, "a": ["é", None, 1.5]})
    for row in list(events_by_subject(1, 10**9)):  # a COPY holds the connection until it ends
        event = ConsentEvent.objects.get(pk=row[0])
        assert _hash(row, event.prev_hash) == event_hash(event, event.prev_hash) == event.hash


def test_the_row_hasher_reuses_only_what_events_share(ledger):
    """The verifier's hasher keeps the request's part of the text across events: over a whole
    ledger (multi-event decisions, vendors, several subjects in a row) it gives every hash."""
    rows = list(events_by_subject(1, 10**9))
    hasher = _RowHasher()
    prev = {}
    for row in rows:
        assert hasher(row, prev.get(row[2], "")) == _hash(row, prev.get(row[2], "")) == row[19]
        prev[row[2]] = row[19]
    assert len({row[16] for row in rows}) < len(rows)  # some events did share a request


def test_untouched_ledger_verifies(ledger):
    report = verify_ledger()
    assert report.ok, report.problems
    assert (report.events, report.subjects, report.checkpoints) == (11, 3, 1)
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().startswith("ledger ok: 11 events")


def test_deleting_a_whole_chain_is_reported(ledger):
    victim = subject_of("v-1")
    drop_guards(connection)
    ConsentState.objects.filter(subject=victim).delete()
    DecisionReceipt.objects.filter(subject=victim).delete()
    ConsentEvent.objects.filter(subject=victim).delete()
    victim.aliases.all().delete()
    Subject.objects.filter(pk=victim.pk).delete()
    code, err = verify_command()
    assert code == 1
    assert "site acme: checkpoint" in err
    assert "events with ids" in err and "were removed or added (signed 4096" not in err
    assert "chain heads of subjects" in err


def test_deleting_the_latest_events_and_moving_the_head_back_is_reported(ledger):
    victim = subject_of("v-0")
    drop_guards(connection)
    events = list(ConsentEvent.objects.filter(subject=victim).order_by("seq"))
    kept, gone = events[:-2], events[-2:]  # the last decision: advertising and its vendor
    # A careful owner rewrites the states and drops the receipt too, so that only a checkpoint can tell.
    ConsentState.objects.filter(subject=victim).delete()
    ConsentEvent.objects.filter(pk__in=[e.pk for e in gone]).delete()
    DecisionReceipt.objects.filter(subject=victim, receipt_id=gone[0].receipt_id).delete()
    latest = {(e.purpose_id, e.vendor_id): e for e in kept}
    for event in latest.values():
        ConsentState.objects.create(
            subject=victim,
            purpose_id=event.purpose_id,
            vendor_id=event.vendor_id,
            state=event.decision,
            version=event.version,
            method=event.method,
            updated_at=event.recorded_at,
            event=event,
        )
    Subject.objects.filter(pk=victim.pk).update(last_seq=kept[-1].seq, last_hash=kept[-1].hash)
    code, err = verify_command("--site", "acme")
    assert code == 1
    assert "site acme: checkpoint" in err and "events with ids" in err and "were removed or added" in err
    assert "chain heads of subjects" in err and "were changed or re-hashed" in err
    assert "content does not match" not in err and "state of" not in err and "receipt" not in err


def test_re_hashing_an_edited_event_is_reported(ledger):
    victim = subject_of("v-2")
    drop_guards(connection)
    prev = ""
    for event in ConsentEvent.objects.filter(subject=victim).order_by("seq"):
        if event.seq == 1:
            event.decision = "granted" if event.decision == "denied" else "denied"
        event.prev_hash = prev
        event.hash = prev = event_hash(event, prev)
        ConsentEvent.objects.filter(pk=event.pk).update(
            decision=event.decision, prev_hash=event.prev_hash, hash=event.hash
        )
    Subject.objects.filter(pk=victim.pk).update(last_hash=prev)
    code, err = verify_command()
    assert code == 1
    assert "site acme: checkpoint" in err and "were changed or re-hashed" in err
    # Only the checkpoint saw it: the chain itself is consistent again.
    assert "content does not match" not in err


def test_an_edit_without_re_hashing_names_the_event(ledger):
    victim = ConsentEvent.objects.filter(subject=subject_of("v-1")).order_by("seq")[1]
    drop_guards(connection, ["consent_consentevent"])
    ConsentEvent.objects.filter(pk=victim.pk).update(decision="granted")
    code, err = verify_command()
    assert code == 1
    assert f"site acme: subject {victim.subject_id}: event {victim.pk} (seq 2): content does not match its hash" in err
    assert "state of purpose" in err  # the state no longer matches its event either
    assert "does not match its events" in err  # nor does the receipt


def test_a_forged_checkpoint_signature_is_reported(ledger):
    checkpoint = LedgerCheckpoint.objects.get()
    drop_guards(connection, ["consent_ledgercheckpoint"])
    LedgerCheckpoint.objects.filter(pk=checkpoint.pk).update(event_count=checkpoint.event_count - 1)
    code, err = verify_command()
    assert code == 1
    assert f"site acme: checkpoint {checkpoint.pk} (up to event {checkpoint.upto_event_id}): signature does not" in err


def test_checkpoints_cover_growth_and_skip_unchanged_sites(ledger):
    assert [c is None for _, c in checkpoint_sites()] == [True]
    decide(ledger, {"analytics": "granted"}, "v-9")
    [(_, second)] = checkpoint_sites()
    first = LedgerCheckpoint.objects.order_by("id").first()
    assert second.upto_event_id > first.upto_event_id
    assert (first.event_count, second.event_count) == (11, 12)
    assert verify_ledger().ok
    # Growth after the last checkpoint is fine; a change below either checkpoint is not.
    decide(ledger, {"advertising": "granted"}, "v-9")
    assert verify_ledger().ok


def test_a_deleted_checkpoint_breaks_the_chain_of_checkpoints(ledger):
    for visitor in ("v-7", "v-8"):
        decide(ledger, {"analytics": "granted"}, visitor)
        checkpoint_sites()
    first, middle, last = LedgerCheckpoint.objects.order_by("id")
    assert (first.previous, middle.previous) == ("", link(first)) and last.previous == link(middle)
    drop_guards(connection, ["consent_ledgercheckpoint"])
    LedgerCheckpoint.objects.filter(pk=middle.pk).delete()
    code, err = verify_command()
    assert code == 1
    assert f"site acme: checkpoint {last.pk}: the checkpoint before it is missing or changed" in err


def test_chain_head_may_only_move_forward_onto_an_event(ledger):
    subject = subject_of("v-0")
    events = list(ConsentEvent.objects.filter(subject=subject).order_by("seq"))
    for seq, head in (
        (events[-2].seq, events[-2].hash),
        (subject.last_seq, events[0].hash),
        (subject.last_seq + 1, "f" * 64),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            Subject.objects.filter(pk=subject.pk).update(last_seq=seq, last_hash=head)
    with pytest.raises(DatabaseError), transaction.atomic():
        Subject.objects.filter(pk=subject.pk).delete()
    subject.refresh_from_db()
    assert (subject.last_seq, subject.last_hash) == (events[-1].seq, events[-1].hash)
    # Moving forward through the application still works, and so does a save of other fields.
    decide(ledger, {"analytics": "granted"}, "v-0")
    subject.refresh_from_db()
    subject.email = "someone@example.com"
    subject.save()
    assert Subject.objects.get(pk=subject.pk).last_seq == events[-1].seq + 1


def test_receipts_are_append_only_but_erasure_clears_their_subject(ledger):
    receipt = DecisionReceipt.objects.filter(subject=subject_of("v-1")).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        DecisionReceipt.objects.filter(pk=receipt.pk).update(body={**receipt.body, "decisions": {}})
    with pytest.raises(DatabaseError), transaction.atomic():
        DecisionReceipt.objects.filter(pk=receipt.pk).update(body={**receipt.body, "subject": "someone-else"})
    with pytest.raises(DatabaseError), transaction.atomic():
        DecisionReceipt.objects.filter(pk=receipt.pk).delete()
    erase_subject(subject_of("v-1"))
    receipt.refresh_from_db()
    assert receipt.body["subject"] is None
    assert verify_ledger().ok


def test_delete_without_where_is_refused_on_every_guarded_table(ledger):
    for table in ("consent_consentevent", "consent_decisionreceipt", "consent_ledgercheckpoint"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  (table names from a constant tuple)
    assert ConsentEvent.objects.count() == 11 and LedgerCheckpoint.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's; SQLite has none")
def test_truncate_is_refused(ledger):
    for statement in (
        "TRUNCATE consent_consentevent CASCADE",
        "TRUNCATE consent_decisionreceipt",
        "TRUNCATE consent_ledgercheckpoint",
        "TRUNCATE consent_auditevent",
        "TRUNCATE consent_subject CASCADE",
    ):
        with pytest.raises(DatabaseError, match="TRUNCATE"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert ConsentEvent.objects.count() == 11


def test_jwks_shape(client, settings):
    old = keys.b64url(b"\x07" * 32)
    settings.LEDGER_PUBLIC_KEYS = [old]
    response = client.get("/.well-known/consent-ledger-keys")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jwk-set+json")
    data = response.json()
    assert len(data["keys"]) == 2
    current, retired = data["keys"]
    for key in data["keys"]:
        assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}
        assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
        assert len(keys.b64url_decode(key["x"])) == 32 and "=" not in key["x"]
        assert key["kid"] == keys.thumbprint(key["x"])
    assert retired["x"] == old
    assert current["kid"] == keys.signing_key()[1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="processes share the work on PostgreSQL")
def test_parallel_verify_finds_the_same(site):
    for n in range(30):
        decide(site, {"analytics": "granted", "advertising": "denied"}, f"v-{n}")
    checkpoint_sites()
    report = verify_ledger(workers=2)
    assert report.ok and report.workers == 2 and report.events == 60
    victim = ConsentEvent.objects.order_by("id")[7]
    drop_guards(connection)
    ConsentEvent.objects.filter(pk=victim.pk).update(language="xx")
    install_guards(connection)
    report = verify_ledger(workers=2)
    assert [str(p) for p in report.problems] == [
        f"site acme: subject {victim.subject_id}: event {victim.pk} (seq {victim.seq}): content does not match its hash"
    ]


def checkpoint_command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("checkpoint_ledger", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_copy_outside_the_database_shows_the_newest_checkpoint_deleted(ledger, tmp_path):
    copy = tmp_path / "checkpoints.jsonl"
    for visitor in ("v-7", "v-8"):
        decide(ledger, {"analytics": "granted"}, visitor)
        out, _ = checkpoint_command("--copy", str(copy))
    assert "1 checkpoint appended" in out
    assert "0 checkpoints appended" in checkpoint_command("--copy", str(copy))[0]  # nothing new
    # The fixture's checkpoint, made before there was a copy, was caught up by the first run.
    lines = copy.read_text().splitlines()
    checkpoints = list(LedgerCheckpoint.objects.order_by("id"))
    assert [json.loads(line)["signature"] for line in lines] == [c.signature for c in checkpoints]
    newest = checkpoints[-1]
    out = io.StringIO()
    call_command("verify_ledger", "--copy", str(copy), stdout=out)
    assert "ledger ok" in out.getvalue() and "3 checkpoints in the copy" in out.getvalue()

    drop_guards(connection, ["consent_ledgercheckpoint"])
    LedgerCheckpoint.objects.filter(pk=newest.pk).delete()
    assert verify_ledger().ok  # the database alone cannot tell: nothing names the newest
    code, err = verify_command("--copy", str(copy))
    assert code == 1
    label = f"checkpoint {newest.pk} (up to event {newest.upto_event_id}) of the copy, line 3"
    assert f"Ledger broken: site acme: {label}: missing from the database (deleted)" in err


def test_a_copy_line_the_ledger_did_not_sign_or_a_replaced_checkpoint_is_reported(ledger, tmp_path):
    decide(ledger, {"analytics": "granted"}, "v-7")
    out, err = checkpoint_command("--copy", "-")  # standard output: the copy alone
    [line] = out.splitlines()
    assert "site acme: checkpoint" in err
    entry = json.loads(line)
    forged = {**entry, "signed": {**entry["signed"], "event_count": entry["signed"]["event_count"] + 1}}
    copy = tmp_path / "copy.jsonl"
    copy.write_text(line + "\n" + json.dumps(forged) + "\n")
    code, err = verify_command("--copy", str(copy))
    assert code == 1
    assert (
        f"checkpoint {entry['checkpoint']} (up to event {entry['signed']['upto_event_id']}) of the copy, line 2: "
        "not signed by the ledger's keys" in err
    )
    assert "line 1" not in err

    copy.write_text(line + "\n")
    drop_guards(connection, ["consent_ledgercheckpoint"])
    LedgerCheckpoint.objects.filter(pk=entry["checkpoint"]).update(signature=keys.sign({"other": 1})[1])
    code, err = verify_command("--copy", str(copy))
    assert code == 1 and "line 1: the database holds another checkpoint under this id" in err


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json\n", "line 1 is not JSON"),
        ('\n{"checkpoint": 1}\n', "line 2 is not a checkpoint's copy"),
        (
            '{"checkpoint": "1", "signed": {"type": "consent-ledger-checkpoint/1"}, "kid": "k", "signature": "s"}',
            "line 1 is not a checkpoint's copy",
        ),
    ],
)
def test_an_unreadable_copy_is_refused_naming_the_line(ledger, tmp_path, text, message):
    copy = tmp_path / "copy.jsonl"
    copy.write_text(text)
    with pytest.raises(CommandError, match=message):
        call_command("verify_ledger", "--copy", str(copy))
    with pytest.raises(CommandError, match=f"stored but could not be copied to {copy}: {message}"):
        checkpoint_command("--copy", str(copy))
    assert copy.read_text() == text  # nothing appended to a copy that cannot be read
    with pytest.raises(CommandError, match="Cannot read the copy"):
        call_command("verify_ledger", "--copy", str(tmp_path / "absent.jsonl"))
