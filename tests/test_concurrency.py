"""Two requests at the same moment (threads with their own connections, on SQLite and PostgreSQL).
Each test checks every side effect, not only the final status: audit rows, flags, answers, records."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.urls import reverse

from audit.models import AuditEvent
from screening.forms.steps import item_field_name
from screening.models import Answer, Client, SafetyFlag, Screening
from tests.conftest import all_answers, fill

pytestmark = pytest.mark.django_db(transaction=True)


def _concurrently(*calls):
    """Run the calls at the same moment in threads (each with its own connection); return results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # noqa: BLE001 (reported to the test)
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _browser(user):
    browser = BrowserClient(raise_request_exception=True)
    browser.force_login(user)
    return browser


def _actions(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def test_double_click_on_complete_completes_once(clinic, clinician, client_record, make_screening, instrument):
    draft = make_screening(client_record, clinician, complete=False)
    fill(draft, all_answers(instrument, ["abuser", "v2v"], safety_yes=("safety-physical-violence",)))
    url = reverse("screening:screening_complete", args=[draft.id])
    browsers = [_browser(clinician), _browser(clinician)]
    results = _concurrently(*(lambda b=b: b.post(url, {"confirm": "1", "notes": "n"}) for b in browsers))
    assert [r.status_code for r in results] == [302, 302], results
    draft.refresh_from_db()
    assert draft.status == "complete"
    assert _actions(object_id=str(draft.id), action="screening.completed") == ["screening.completed"]
    assert list(SafetyFlag.objects.filter(screening=draft).values_list("item_key", flat=True)) == ["safety-physical-violence"]


def test_two_completions_through_the_service_write_one_row_and_one_flag(clinician, client_record, make_screening, instrument):
    from clinicians.actors import Actor
    from screening import services

    draft = make_screening(client_record, clinician, complete=False)
    fill(draft, all_answers(instrument, ["abuser", "v2v"], safety_yes=("safety-suicidal-thoughts",)))
    outcomes = _concurrently(*(
        lambda: services.complete_screening(draft.id, Screening.objects.all(), Actor(clinician)) for _ in range(2)
    ))
    assert sorted(o.completed for o in outcomes) == [False, True], outcomes
    assert _actions(object_id=str(draft.id)) == ["screening.started", "screening.completed"]
    assert SafetyFlag.objects.filter(screening=draft).count() == 1


def test_discard_and_complete_at_once_do_one_or_the_other_whole(clinician, client_record, make_screening, instrument):
    draft = make_screening(client_record, clinician, complete=False)
    fill(draft, all_answers(instrument, ["abuser", "v2v"], safety_yes=("safety-physical-violence",)))
    answers = draft.answers.count()
    complete, discard = _browser(clinician), _browser(clinician)
    results = _concurrently(
        lambda: complete.post(reverse("screening:screening_complete", args=[draft.id]), {"confirm": "1"}),
        lambda: discard.post(reverse("screening:screening_discard", args=[draft.id])),
    )
    # The completion finds the draft, or (discarded a moment before) a 404 like any record that is gone.
    assert results[0].status_code in (302, 404) and results[1].status_code == 302, results
    # (A completion that finds the draft gone also writes "access.refused": any 404 of the scoping helper does.)
    done = _actions(object_id=str(draft.id), action__startswith="screening.")
    if Screening.objects.filter(pk=draft.id).exists():
        assert done == ["screening.started", "screening.completed"]
        assert Screening.objects.get(pk=draft.id).status == "complete"
        assert Answer.objects.filter(screening_id=draft.id).count() == answers
        assert SafetyFlag.objects.filter(screening_id=draft.id).count() == 1
    else:
        assert done == ["screening.started", "screening.discarded"]
        assert results[0].status_code in (302, 404)
        assert not Answer.objects.filter(screening_id=draft.id).exists()
        # The disclosure made in the draft outlives it: still open, noted as from a discarded draft.
        kept = SafetyFlag.objects.get(client=client_record)
        assert kept.screening_id is None and kept.draft_discarded_at and kept.is_open


def test_autosaves_at_once_never_fail(clinic, clinician, client_record, make_screening, instrument):
    draft = make_screening(client_record, clinician, bonds=("abuser",), complete=False)
    items = instrument.items_for_bond("abuser")
    url = reverse("screening:screening_autosave", args=[draft.id, "abuser"])
    browsers = [_browser(clinician) for _ in range(4)]
    calls = [lambda b=b, i=i: b.post(url, {"instrument": "tbsc-1", item_field_name(items[i].key): "2"},
                                     HTTP_X_AUTOSAVE="1") for i, b in enumerate(browsers)]
    results = _concurrently(*calls)
    assert [r.status_code for r in results] == [200] * 4, results
    assert sorted(draft.answers.values_list("item_key", "value")) == sorted((items[i].key, 2) for i in range(4))
    assert draft.client.screenings.count() == 1 and _actions(object_id=str(draft.id)) == ["screening.started"]


def test_same_client_code_added_twice_at_once(clinic, clinician):
    browsers = [_browser(clinician), _browser(clinician)]
    url = reverse("screening:client_create")
    results = _concurrently(*(lambda b=b: b.post(url, {"code": "RACE-1"}) for b in browsers))
    assert sorted(r.status_code for r in results) == [200, 302], results
    assert Client.objects.filter(code="RACE-1").count() == 1
    assert b"already has a client with this code" in next(r for r in results if r.status_code == 200).content
    created = Client.objects.get(code="RACE-1")
    assert list(created.assigned.all()) == [clinician]
    assert _actions(action="client.created") == ["client.created"]
    assert AuditEvent.objects.get(action="client.created").client_id == created.id


def test_two_starts_at_once_make_one_draft_and_one_row(clinician, client_record):
    browsers = [_browser(clinician), _browser(clinician)]
    url = reverse("screening:screening_start", args=[client_record.id])
    results = _concurrently(*(lambda b=b: b.post(url) for b in browsers))
    assert [r.status_code for r in results] == [302, 302], results
    assert client_record.screenings.count() == 1
    assert _actions(action="screening.started") == ["screening.started"]


# Lock order ---------------------------------------------------------------------------------------
# The revision triggers lock a client's row at the first write to its records (screening migration
# 0015). Every action that writes a safety flag takes the client's row before the flag's, so an autosave
# that raises or withdraws a flag and a follow-up on it always meet in one order and never deadlock.

@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite writes one at a time")
def test_a_follow_up_waits_for_the_client_before_it_locks_the_flag(clinician, client_record, make_screening):
    from django.db import OperationalError, transaction

    from clinicians.actors import Actor
    from screening import flags

    draft = make_screening(client_record, clinician, complete=False, safety_yes=("safety-physical-violence",))
    fill(draft, {("safety", "safety-physical-violence"): 1})
    flag = SafetyFlag.objects.get(screening=draft)
    revision = Client.objects.values_list("revision", flat=True).get(pk=client_record.pk)
    held, release, done = threading.Event(), threading.Event(), []

    def hold_the_client():  # as an autosave does, from its first answer until its flags are written
        try:
            with transaction.atomic():
                Client.objects.lock(client_record.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def follow_up():
        try:
            done.append(flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="safety_plan",
                                               note="Plan made.", submission=uuid.uuid4()))
        finally:
            connection.close()

    holder, follower = threading.Thread(target=hold_the_client), threading.Thread(target=follow_up)
    holder.start()
    assert held.wait(10)
    follower.start()
    follower.join(1)  # blocked on the client's row ...
    assert follower.is_alive() and not done
    try:  # ... without holding the flag's
        with transaction.atomic():
            list(SafetyFlag.objects.select_for_update(nowait=True).filter(pk=flag.pk))
    except OperationalError as error:  # pragma: no cover (the failure being tested for)
        pytest.fail(f"the follow-up locked the flag before the client: {error}")
    finally:
        release.set()
        holder.join(10)
        follower.join(10)
    (entry, created), = done
    assert created and entry.flag_id == flag.id
    assert _actions(object_id=str(flag.id), action="flag.follow_up") == ["flag.follow_up"]
    assert Client.objects.values_list("revision", flat=True).get(pk=client_record.pk) > revision


def test_an_autosave_raising_flags_and_follow_ups_at_once_all_succeed(clinician, client_record, make_screening):
    """Each round: one request answers safety questions (raising flags), another records a follow-up on
    an open flag of the same draft; both succeed, every flag, follow-up and audit row is there."""
    from clinicians.actors import Actor
    from screening import flags, services

    draft = make_screening(client_record, clinician, complete=False, safety_yes=("safety-physical-violence",))
    fill(draft, {("safety", "safety-physical-violence"): 1})
    flag = SafetyFlag.objects.get(screening=draft)
    keys = ["safety-suicidal-thoughts", "safety-substance-use", "safety-unsafe-to-leave"]  # tbsc-1's
    for key in keys:
        results = _concurrently(
            lambda key=key: services.save_answers(draft, "safety", {key: 1}, actor=Actor(clinician)),
            lambda: flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="other",
                                           note=f"Checked in ({key}).", submission=uuid.uuid4()),
        )
        assert not any(isinstance(r, Exception) for r in results), results
    assert set(keys) <= set(SafetyFlag.objects.filter(screening=draft).values_list("item_key", flat=True))
    assert flag.follow_ups.count() == len(keys)
    assert _actions(object_id=str(flag.id), action="flag.follow_up") == ["flag.follow_up"] * len(keys)
    raised = SafetyFlag.objects.filter(client=client_record)
    assert raised.count() >= 1 + len(keys)
    assert AuditEvent.objects.filter(action="flag.raised", client_id=client_record.pk).count() == raised.count()
