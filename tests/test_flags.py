"""Safety flags followed to a recorded action."""

import io
import re
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinicians.actors import Actor
from audit.append_only import AppendOnlyError
from audit.models import AuditEvent
from screening import flags, services
from screening.models import Client, FollowUp, SafetyFlag, Screening

ALL_SAFETY = ("safety-suicidal-thoughts", "safety-physical-violence", "safety-substance-use",
              "safety-severe-symptoms", "safety-unsafe-to-leave")


def _post(client, flag, **data):
    body = {"action": "safety_plan", "note": "Plan made.", "submission": str(uuid.uuid4())}
    body.update(data)
    return client.post(reverse("screening:flag_detail", args=[flag.id]), body)


def _pdf_text(response):
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))


@pytest.mark.parametrize("key", ALL_SAFETY)
def test_each_safety_item_raises_its_flag(client_record, clinician, make_screening, instrument, key):
    screening = make_screening(client_record, clinician, safety_yes=(key,))
    flag = screening.safety_flags.get()
    item = next(i for i in instrument.safety_items if i.key == key)
    assert (flag.item_key, flag.title, flag.client, flag.is_open, flag.recurring) == (key, item.flag, client_record, True, False)
    # Raised when the answer was saved, before the screening was completed, by who saved it.
    assert screening.started_at <= flag.raised_at <= screening.completed_at and flag.raised_by == clinician
    assert flag.tier == item.tier


def test_no_flag_when_nothing_is_endorsed(client_record, clinician, make_screening):
    make_screening(client_record, clinician)
    assert not SafetyFlag.objects.exists()


def test_every_endorsed_item_is_a_flag(client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, safety_yes=ALL_SAFETY)
    assert screening.safety_flags.count() == 5


def test_follow_ups_then_closure(logged_in, client_record, clinician, make_screening):
    flag = make_screening(client_record, clinician, safety_yes=("safety-suicidal-thoughts",)).safety_flags.get()
    assert _post(logged_in, flag, action="resources", note="Gave 988.").status_code == 302
    assert _post(logged_in, flag, action="referral", referral_to="Crisis team", note="Referred.").status_code == 302
    flag.refresh_from_db()
    assert flag.is_open and flag.follow_ups.count() == 2
    _post(logged_in, flag, action="safety_plan", note="Plan in place.", resolves="on")
    flag.refresh_from_db()
    assert not flag.is_open and flag.resolved_at is not None
    entries = list(flag.follow_ups.values_list("action", "recorded_by", "resolves"))
    assert entries == [("resources", clinician.id, False), ("referral", clinician.id, False),
                       ("safety_plan", clinician.id, True)]
    assert AuditEvent.objects.filter(action="flag.follow_up", client_id=client_record.id).count() == 3
    page = logged_in.get(reverse("screening:flag_detail", args=[flag.id])).content.decode()
    assert "Resolved:" in page and "Crisis team" in page and "Record a follow-up" not in page


def test_follow_up_needs_a_note_and_a_referral_target(logged_in, client_record, clinician, make_screening):
    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    response = _post(logged_in, flag, note="  ")
    assert response.status_code == 400 and b"This field is required" in response.content
    response = _post(logged_in, flag, action="referral", referral_to="", note="Referred")
    assert response.status_code == 400 and b"Say to whom the referral was made" in response.content
    response = _post(logged_in, flag, action="made-up")
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    assert not flag.follow_ups.exists()


def test_follow_up_on_a_closed_flag_is_refused(logged_in, client_record, clinician, make_screening):
    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    _post(logged_in, flag, resolves="on")
    response = _post(logged_in, flag, note="Late entry")
    assert response.status_code == 400 and b"already resolved" in response.content
    assert flag.follow_ups.count() == 1


def test_double_submit_records_one_entry(logged_in, client_record, clinician, make_screening):
    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    submission = str(uuid.uuid4())
    _post(logged_in, flag, submission=submission, resolves="on")
    response = _post(logged_in, flag, submission=submission, resolves="on")
    assert response.status_code == 302 and flag.follow_ups.count() == 1
    assert b"already recorded" in logged_in.get(response["Location"]).content


def test_another_clinics_flag_is_404(client, outsider, client_record, clinician, make_screening):
    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    client.force_login(outsider)
    assert client.get(reverse("screening:flag_detail", args=[flag.id])).status_code == 404
    assert _post(client, flag).status_code == 404
    assert not flag.follow_ups.exists()


def test_follow_ups_cannot_be_changed_or_deleted(client_record, clinician, make_screening):
    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    entry, _ = flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="other", note="x",
                                      submission=uuid.uuid4())
    entry.note = "rewritten"
    for attempt in (entry.save, entry.delete, lambda: FollowUp.objects.filter(pk=entry.pk).update(note="y"),
                    lambda: FollowUp.objects.filter(pk=entry.pk).delete()):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert FollowUp.objects.get(pk=entry.pk).note == "x"
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(flag=flag, action="other", note="", recorded_by=clinician, submission=uuid.uuid4())


def test_database_refuses_changing_a_follow_up(client_record, clinician, make_screening):
    """PostgreSQL and SQLite triggers (screening migrations 0004 and 0007), whatever client connects."""
    from django.db import DatabaseError

    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    entry, _ = flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="other", note="x",
                                      submission=uuid.uuid4())
    for sql in ("UPDATE screening_followup SET note = 'y' WHERE id = %s", "DELETE FROM screening_followup WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk.hex])  # 32 hex digits: what SQLite stores, and PostgreSQL reads
    assert FollowUp.objects.filter(pk=entry.pk, note="x").exists()


def test_home_lists_open_flags_oldest_first_with_age(logged_in, clinic, clinician, teammate, make_screening):
    made = []
    for code, days in (("NEW", 2), ("OLD", 40)):
        c = Client.objects.create(clinic=clinic, code=code, created_by=clinician)
        c.assigned.add(clinician)
        s = make_screening(c, clinician, safety_yes=("safety-physical-violence",))
        SafetyFlag.objects.filter(screening=s).update(raised_at=timezone.now() - timezone.timedelta(days=days))
        made.append(s)
    others = Client.objects.create(clinic=clinic, code="TEAM", created_by=teammate)
    others.assigned.add(teammate)
    make_screening(others, teammate, safety_yes=("safety-physical-violence",))
    body = logged_in.get(reverse("screening:home")).content.decode()
    assert "2 open safety flags" in body
    assert body.index("OLD") < body.index("NEW")
    assert "1\xa0month" in body or "1 month" in body  # the age of the 40-day-old flag
    assert "TEAM" not in body and "no follow-up recorded" in body


def test_clinic_admin_sees_every_open_flag(client, clinic_admin, clinic, clinician, teammate, make_screening):
    for owner, code in ((clinician, "A-1"), (teammate, "B-1")):
        c = Client.objects.create(clinic=clinic, code=code, created_by=owner)
        c.assigned.add(owner)
        make_screening(c, owner, safety_yes=("safety-substance-use",))
    client.force_login(clinic_admin)
    body = client.get(reverse("screening:home")).content.decode()
    assert "2 open safety flags" in body and "A-1" in body and "B-1" in body


def test_results_and_client_pages_show_flags_and_status(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, safety_yes=("safety-physical-violence",))
    flag = screening.safety_flags.get()
    results = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    assert re.search(r"Follow-up, as of \d{4}-\d\d-\d\d \d\d:\d\d: Open: no follow-up recorded", results)
    assert reverse("screening:flag_detail", args=[flag.id]) in results
    detail = logged_in.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    assert "1 open safety flag" in detail and "Safety flag history" in detail
    _post(logged_in, flag, resolves="on")
    detail = logged_in.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    assert "open safety flag" not in detail and "Resolved</span>" in detail


def test_pdfs_show_follow_up_status(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, safety_yes=("safety-physical-violence", "safety-substance-use"))
    violence = screening.safety_flags.get(item_key="safety-physical-violence")
    _post(logged_in, violence, action="safety_plan", note="Hotline number given.", resolves="on")
    text = _pdf_text(logged_in.get(reverse("reports:intake_pdf", args=[screening.id])))
    urgent = text[text.index("Safety: Safety flags raised"):text.index("Abuser-bond indicators")]
    assert re.search(r"Follow-up, as of [\d: -]+: Resolved", urgent) and "Hotline number given." in urgent
    assert re.search(r"Follow-up, as of [\d: -]+: Open: no follow-up recorded", urgent)
    assert urgent.index("Act this session") < urgent.index("Physical violence") < urgent.index("Follow up") \
        < urgent.index("Alcohol or drug use to cope")
    text = _pdf_text(logged_in.get(reverse("reports:progress_pdf", args=[client_record.id])))
    history = text[text.index("Safety flags over time"):text.index("Abuser-bond indicators")]
    assert "Physical violence: Resolved" in history and "Alcohol or drug use to cope: Open: no follow-up recorded" in history


def test_flag_raised_again_is_recurring(logged_in, client_record, clinician, make_screening):
    first = make_screening(client_record, clinician, safety_yes=("safety-unsafe-to-leave", "safety-substance-use"))
    Screening.objects.filter(pk=first.pk).update(completed_at=timezone.now() - timezone.timedelta(days=90))
    second = make_screening(client_record, clinician, safety_yes=("safety-unsafe-to-leave",))
    again = second.safety_flags.get()
    assert again.recurring
    third = make_screening(client_record, clinician, safety_yes=("safety-substance-use",))
    assert not third.safety_flags.get().recurring  # not raised at the screening just before
    detail = logged_in.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    history = detail.split("Safety flag history")[1]
    assert history.count("<tr>") == 1 + 4 and "Recurring" in history


def test_amendment_that_endorses_a_safety_item_raises_its_flag(client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician)
    services.amend_screening(screening.id, Screening.objects.all(), Actor(clinician), "Client disclosed it later.",
                             {"safety": {"safety-severe-symptoms": 1}})
    assert list(screening.safety_flags.values_list("item_key", flat=True)) == ["safety-severe-symptoms"]


def test_flag_raised_by_an_amendment_is_dated_now(client_record, clinician, make_screening):
    from django.utils import timezone

    from screening import services

    screening = make_screening(client_record, clinician)
    Screening.objects.filter(pk=screening.pk).update(completed_at=timezone.now() - timezone.timedelta(days=120))
    services.amend_screening(screening.id, Screening.objects.all(), Actor(clinician), "Disclosed later.",
                             {"safety": {"safety-substance-use": 1}})
    flag = screening.safety_flags.get()
    assert timezone.now() - flag.raised_at < timezone.timedelta(minutes=1)
