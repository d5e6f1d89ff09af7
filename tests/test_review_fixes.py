"""Races, stored results, note limits and autosave replies (points a second reader found)."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client as BrowserClient
from django.urls import reverse

from clinicians.actors import Actor
from screening.forms.steps import item_field_name
from screening.models import Answer, Client, Screening
from tests.conftest import all_answers, fill


def test_results_come_from_the_stored_scores(logged_in, client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, value=1)
    n = len(instrument.items_for_bond("abuser"))
    before = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert f"Total <strong>{n} of {3 * n}</strong>" in before
    Answer.objects.filter(screening=screening, section="abuser").update(value=3)  # behind the app's back
    after = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert f"Total <strong>{n} of {3 * n}</strong>" in after


def test_discard_after_completion_in_another_tab_deletes_nothing(client_record, clinician, make_screening):
    from screening import services

    draft = make_screening(client_record, clinician, complete=False)
    stale = Screening.objects.get(pk=draft.pk)
    Screening.objects.filter(pk=draft.pk).update(status="complete", completed_at=draft.started_at, scores={})
    assert services.discard_draft(stale, Actor(stale.clinician)) is False
    assert Screening.objects.filter(pk=draft.pk).exists()


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


def test_autosave_replies_in_json_when_refused(logged_in, client_record, clinician, make_screening):
    completed = make_screening(client_record, clinician)
    response = logged_in.post(reverse("screening:screening_autosave", args=[completed.id, "abuser"]),
                              {"instrument": "tbsc-1"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 409 and "locked" in response.json()["message"]
    other = Client.objects.create(clinic=client_record.clinic, code="J-1", created_by=clinician)
    other.assigned.add(clinician)
    draft = make_screening(other, clinician, bonds=("abuser",), complete=False)
    response = logged_in.post(reverse("screening:screening_autosave", args=[draft.id, "v2v"]),
                              {"instrument": "tbsc-1"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 409 and "not in scope" in response.json()["message"]
    response = logged_in.post(reverse("screening:screening_autosave", args=[draft.id, "abuser"]),
                              {"instrument": "tbsc-0"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 400 and "another version" in response.json()["message"]


def test_colleague_who_completes_a_draft_is_recorded(client, client_record, clinician, teammate, make_screening,
                                                     instrument):
    teammate.clinic.all_clients_open = True
    teammate.clinic.save()
    draft = make_screening(client_record, clinician, complete=False)
    fill(draft, all_answers(instrument, ["abuser", "v2v"]))
    client.force_login(teammate)
    client.post(reverse("screening:screening_complete", args=[draft.id]), {"confirm": "1"})
    draft.refresh_from_db()
    assert draft.completed_by == teammate
    page = client.get(reverse("reports:results", args=[draft.id])).content.decode()
    assert "Terry Teammate (started by Casey Clinician)" in page


def test_report_keeps_the_resources_shown_at_completion(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, safety_yes=("safety-suicidal-thoughts",))
    clinic = client_record.clinic
    clinic.crisis_resources = "A new local line: 555-0199"
    clinic.save()
    page = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert "1-800-799-7233" in page and "555-0199" not in page


def test_same_day_screenings_keep_their_order():
    from datetime import date

    from screening.progress import Point, completed_in_order

    scores = object()
    for _ in range(20):  # ids are random: the order must not depend on them
        import uuid

        a = Point(str(uuid.uuid4()), date(2026, 3, 1), "intake", "tbsc-1", scores)
        b = Point(str(uuid.uuid4()), date(2026, 3, 1), "rescreen", "tbsc-1", scores)
        assert completed_in_order([a, b]) == [a, b]


def test_flag_raised_by_an_amendment_is_dated_now(client_record, clinician, make_screening):
    from django.utils import timezone

    from screening import services

    screening = make_screening(client_record, clinician)
    Screening.objects.filter(pk=screening.pk).update(completed_at=timezone.now() - timezone.timedelta(days=120))
    services.amend_screening(screening.id, Screening.objects.all(), Actor(clinician), "Disclosed later.",
                             {"safety": {"safety-substance-use": 1}})
    flag = screening.safety_flags.get()
    assert timezone.now() - flag.raised_at < timezone.timedelta(minutes=1)


def test_flag_page_and_schedule_changes_are_audited(logged_in, client_record, clinician, make_screening):
    from audit.models import AuditEvent

    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    logged_in.get(reverse("screening:flag_detail", args=[flag.id]))
    assert AuditEvent.objects.filter(action="client.viewed", detail="safety flag", client_id=client_record.id).count() == 1
    logged_in.post(reverse("screening:client_schedule", args=[client_record.id]), {"rescreen_interval_days": "30"})
    assert AuditEvent.objects.get(action="client.schedule_changed").detail == "every 30 days"


def test_audit_csv_refuses_a_filter_it_cannot_read(client, clinic_admin):
    client.force_login(clinic_admin)
    response = client.get(reverse("reports:audit_trail_csv"), {"client": "not-a-client"})
    assert response.status_code == 400 and b"nothing was exported" in response.content


def test_spreadsheet_formulas_are_kept_as_text():
    from reports.exports import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert spreadsheet_safe("-1") == "'-1" and spreadsheet_safe("Plain reason.") == "Plain reason."


def test_lockout_is_per_account_whatever_the_address(clinician, settings):
    from tests.conftest import PASSWORD

    for i in range(settings.AXES_FAILURE_LIMIT):
        BrowserClient(REMOTE_ADDR=f"10.0.0.{i + 1}").post(reverse("login"), {"username": clinician.email, "password": "x"})
    response = BrowserClient(REMOTE_ADDR="10.0.0.99").post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    assert response.status_code == 429


def test_client_search_keeps_codes_out_of_urls(logged_in, client_record):
    response = logged_in.post(reverse("screening:client_list"), {"q": "C-00"})
    assert response.status_code == 200 and "C-0001" in response.content.decode()
    assert 'method="post"' in response.content.decode() and "?q=" not in response.content.decode()
