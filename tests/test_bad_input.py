"""Bad input gets a clear message, keeps what was valid, and never a 500."""

import pytest
from django.db import DataError, IntegrityError, transaction
from django.urls import reverse

from clinicians.actors import Actor
from screening.forms.steps import item_field_name
from screening.models import Answer, Client, Screening
from tests.conftest import all_answers, fill


def _step(screening, step):
    return reverse("screening:screening_step", args=[screening.id, step])


def test_value_off_the_scale_is_an_error_next_to_the_item_and_the_rest_is_saved(logged_in, draft, instrument):
    first, second = instrument.items_for_bond("abuser")[:2]
    response = logged_in.post(_step(draft, "abuser"), {
        "instrument": "tbsc-1", item_field_name(first.key): "7", item_field_name(second.key): "2", "next": "1",
    })
    assert response.status_code == 200
    body = response.content.decode()
    assert "is not one of the answers for this question" in body
    assert f'aria-describedby="id_{item_field_name(first.key)}-error"' in body
    assert list(draft.answers.values_list("item_key", "value")) == [(second.key, 2)]


def test_safety_value_above_yes_is_refused(logged_in, draft, instrument):
    key = instrument.safety_items[0].key
    response = logged_in.post(_step(draft, "safety"), {"instrument": "tbsc-1", item_field_name(key): "2"})
    assert response.status_code == 200 and "is not one of the answers" in response.content.decode()
    assert not draft.answers.exists()


def test_item_of_another_version_is_a_400_and_saves_nothing(logged_in, draft, instrument):
    first = instrument.items_for_bond("abuser")[0]
    response = logged_in.post(_step(draft, "abuser"), {
        "instrument": "tbsc-1", item_field_name(first.key): "1", "item-from-tbsc-2": "1",
    })
    assert response.status_code == 400
    assert "not part of this step" in response.content.decode()
    assert not draft.answers.exists()


def test_item_of_another_step_is_refused(logged_in, draft, instrument):
    safety_key = instrument.safety_items[0].key
    response = logged_in.post(_step(draft, "abuser"), {"instrument": "tbsc-1", item_field_name(safety_key): "1"})
    assert response.status_code == 400


def test_form_of_another_instrument_version_is_a_400(logged_in, draft, instrument):
    first = instrument.items_for_bond("abuser")[0]
    response = logged_in.post(_step(draft, "abuser"), {"instrument": "tbsc-0", item_field_name(first.key): "1"})
    assert response.status_code == 400 and "another version of the checklist" in response.content.decode()
    assert not draft.answers.exists()


def test_unknown_step_is_a_readable_404(logged_in, draft):
    response = logged_in.get(_step(draft, "stage-9"))
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_bond_step_before_choosing_bonds_redirects_with_a_message(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, bonds=(), complete=False)
    response = logged_in.get(_step(screening, "safety"), follow=True)
    assert response.redirect_chain[-1][0] == _step(screening, "bonds")
    assert "First choose which bond" in response.content.decode()


def test_bond_not_in_scope_redirects_with_a_message(logged_in, draft):
    response = logged_in.get(_step(draft, "v2v"), follow=True)
    assert response.redirect_chain[-1][0] == _step(draft, "bonds")
    assert "not in scope" in response.content.decode()


def test_no_bond_chosen_is_a_form_error(logged_in, draft):
    response = logged_in.post(_step(draft, "bonds"), {"instrument": "tbsc-1", "abuser_label": "ex", "next": "1"})
    assert response.status_code == 200 and "Choose at least one bond" in response.content.decode()


def test_completing_with_missing_answers_lists_each_item(logged_in, draft, instrument):
    response = logged_in.post(reverse("screening:screening_complete", args=[draft.id]), {"confirm": "1", "notes": "typed"})
    assert response.status_code == 400
    body = response.content.decode()
    missing = len(instrument.items_for_bond("abuser")) + len(instrument.safety_items) + len(instrument.protective_items)
    assert f"{missing} questions still need" in body
    first = instrument.items_for_bond("abuser")[0]
    assert f'{_step(draft, "abuser")}#q-{first.key}' in body
    draft.refresh_from_db()
    assert draft.is_draft and draft.notes == "typed"  # the note typed on the way is kept


def test_completing_without_confirming_asks_first(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, complete=False)
    response = logged_in.post(reverse("screening:screening_complete", args=[screening.id]), {"notes": ""})
    assert response.status_code == 400 and "Tick this box" in response.content.decode()
    screening.refresh_from_db()
    assert screening.is_draft


def test_double_complete_is_harmless(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician)
    first_completed = screening.completed_at
    response = logged_in.post(reverse("screening:screening_complete", args=[screening.id]), {"confirm": "1"}, follow=True)
    assert response.status_code == 200 and "already completed" in response.content.decode()
    screening.refresh_from_db()
    assert screening.completed_at == first_completed


def test_double_start_resumes_the_draft(logged_in, client_record):
    url = reverse("screening:screening_start", args=[client_record.id])
    logged_in.post(url)
    logged_in.post(url)
    assert client_record.screenings.count() == 1


def test_duplicate_client_code_is_a_form_error(logged_in, client_record):
    response = logged_in.post(reverse("screening:client_create"), {"code": "c-0001"})
    assert response.status_code == 200
    assert "already has a client with this code" in response.content.decode()
    assert Client.objects.filter(clinic=client_record.clinic).count() == 1


def test_client_code_with_spaces_is_refused(logged_in):
    response = logged_in.post(reverse("screening:client_create"), {"code": "Jane Doe"})
    assert "no spaces" in response.content.decode()
    assert not Client.objects.exists()


def test_same_code_in_another_clinic_is_fine(client, outsider, client_record):
    client.force_login(outsider)
    client.post(reverse("screening:client_create"), {"code": "C-0001"})
    assert Client.objects.filter(code="C-0001").count() == 2


def test_get_on_post_only_url_is_405(logged_in, client_record):
    assert logged_in.get(reverse("screening:screening_start", args=[client_record.id])).status_code == 405


def test_malformed_uuid_is_404(logged_in):
    assert logged_in.get("/screenings/not-a-uuid/").status_code == 404


# The database itself holds the invariants, whatever the Python code does.

def _answer(screening, **kwargs):
    defaults = {"screening": screening, "section": "abuser", "item_key": "x", "value": 1, "state": "answered"}
    defaults.update(kwargs)
    with transaction.atomic():
        Answer.objects.create(**defaults)


@pytest.mark.parametrize("kwargs", [
    {"value": 4}, {"value": -1}, {"value": None, "state": "answered"}, {"value": 2, "state": "declined"},
    {"section": "safety", "value": 2}, {"section": "elsewhere"}, {"value": None, "state": "maybe"},
    {"section": "safety", "value": None, "state": "not_applicable"}, {"value": 1, "reason": "a reason without a state"},
    {"value": None, "state": "declined", "reason": "x" * 201},
])
def test_database_refuses_bad_answers(draft, kwargs):
    # PostgreSQL refuses an over-long value as a DataError (its column has the length), SQLite by
    # the check constraint as an IntegrityError.
    with pytest.raises((IntegrityError, DataError)):
        _answer(draft, **kwargs)


def test_database_refuses_duplicate_answers(draft):
    _answer(draft)
    with pytest.raises(IntegrityError):
        _answer(draft, value=2)


def test_database_refuses_duplicate_code_in_any_case(client_record, clinician):
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.create(clinic=client_record.clinic, code="c-0001", created_by=clinician)


def test_database_refuses_second_draft(draft, clinician):
    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.create(client=draft.client, clinician=clinician, kind="rescreen")


def test_database_refuses_completed_without_scores(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.filter(pk=draft.pk).update(status="complete")


def test_a_stale_copy_cannot_reopen_a_completed_screening(client_record, clinician, make_screening, instrument):
    from screening import services

    screening = make_screening(client_record, clinician, complete=False)
    stale = Screening.objects.get(pk=screening.pk)
    from tests.conftest import all_answers, fill

    fill(screening, all_answers(instrument, ["abuser", "v2v"]))
    services.complete_screening(screening.id, Screening.objects.all(), Actor(clinician))
    with pytest.raises(services.ScreeningLocked):
        services.update_draft(stale, {"notes": "late"})
    with pytest.raises(services.ScreeningLocked):
        services.save_answers(stale, "abuser", {instrument.items_for_bond("abuser")[0].key: 0})
    screening.refresh_from_db()
    assert screening.status == "complete" and screening.notes == ""


def test_post_to_a_step_after_completion_in_another_tab(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician)
    response = logged_in.post(_step(screening, "review"), {"instrument": "tbsc-1", "notes": "late"}, follow=True)
    assert "completed and locked" in response.content.decode()
    screening.refresh_from_db()
    assert screening.notes == ""


def test_notes_are_bounded(logged_in, client_record, clinician, make_screening):
    draft = make_screening(client_record, clinician, complete=False)
    response = logged_in.post(reverse("screening:screening_step", args=[draft.id, "review"]),
                              {"instrument": "tbsc-1", "notes": "x" * 5001, "stay": "1"})
    assert response.status_code == 200 and b"at most 5000 characters" in response.content
    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.filter(pk=draft.pk).update(notes="x" * 5001)


def test_completing_without_a_notes_field_keeps_the_notes(logged_in, client_record, clinician, make_screening,
                                                           instrument):
    draft = make_screening(client_record, clinician, complete=False, notes="Keep me.")
    fill(draft, all_answers(instrument, ["abuser", "v2v"]))
    logged_in.post(reverse("screening:screening_complete", args=[draft.id]), {"confirm": "1"})
    draft.refresh_from_db()
    assert draft.status == "complete" and draft.notes == "Keep me."


def test_invalid_notes_stop_completion(logged_in, client_record, clinician, make_screening, instrument):
    draft = make_screening(client_record, clinician, complete=False)
    fill(draft, all_answers(instrument, ["abuser", "v2v"]))
    response = logged_in.post(reverse("screening:screening_complete", args=[draft.id]), {"confirm": "1", "notes": "bad\x00"})
    assert response.status_code == 400 and b"Null characters are not allowed" in response.content
    draft.refresh_from_db()
    assert draft.is_draft
