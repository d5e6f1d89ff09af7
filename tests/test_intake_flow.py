"""A whole intake through Django's test client: login → client → both bonds → complete → results → PDF."""

import io
import re

from django.urls import reverse
from pypdf import PdfReader

from clinicians.actors import Actor
from screening.forms.steps import item_field_name
from screening.models import Client, Screening
from tests.conftest import PASSWORD, all_answers, fill


def _post_items(client, screening, step, items, value, key=None):
    """Every item of a step answered `value` (or the top of an item's own, shorter scale)."""
    section = screening.instrument.section(step, screening.is_intake)
    data = {"instrument": key or screening.instrument_key, "next": "1"}
    data.update({item_field_name(item.key): str(min(value, _top(section, item))) for item in items})
    return client.post(reverse("screening:screening_step", args=[screening.id, step]), data)


def _top(section, item):
    return max(option.value for option in section.item_scale(item))


def test_whole_intake(client, clinician, current_instrument):
    instrument = current_instrument
    # Log in with the email address.
    response = client.post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    assert response.status_code == 302

    # Add a client.
    response = client.post(reverse("screening:client_create"), {"code": "RC-77"})
    new_client = Client.objects.get(code="RC-77")
    assert response["Location"] == reverse("screening:client_detail", args=[new_client.id])
    assert new_client.clinic == clinician.clinic

    # Start the intake: new screenings use the current version of the checklist.
    response = client.post(reverse("screening:screening_start", args=[new_client.id]))
    screening = Screening.objects.get(client=new_client)
    assert screening.kind == "intake" and screening.is_draft and screening.instrument_key == instrument.key
    assert response["Location"] == reverse("screening:screening_step", args=[screening.id, "bonds"])

    # Both bonds in scope, with labels; safety comes next, right after the bond choice.
    response = client.post(reverse("screening:screening_step", args=[screening.id, "bonds"]), {
        "instrument": instrument.key, "abuser_in_scope": "on", "abuser_label": "ex-partner",
        "v2v_in_scope": "on", "v2v_label": "friend from group", "next": "1",
    })
    assert response["Location"] == reverse("screening:screening_step", args=[screening.id, "safety"])

    # Safety: suicidal thoughts only (not now); the conditional question is then asked too.
    safety = {item_field_name(i.key): "0" for i in instrument.safety_items}
    safety[item_field_name("safety-suicidal-thoughts")] = "1"
    response = client.post(reverse("screening:screening_step", args=[screening.id, "safety"]),
                           {"instrument": instrument.key, **safety, "next": "1"})
    assert response["Location"] == reverse("screening:screening_step", args=[screening.id, "abuser"])

    page = client.get(reverse("screening:screening_step", args=[screening.id, "abuser"])).content.decode()
    assert instrument.items_for_bond("abuser")[0].text.replace("'", "&#x27;") in page

    # Each bond: the abuser bond "Often", the v2v bond "Sometimes".
    abuser, v2v = (instrument.section(bond) for bond in ("abuser", "v2v"))
    response = _post_items(client, screening, "abuser", abuser.items, 2)
    assert response["Location"] == reverse("screening:screening_step", args=[screening.id, "v2v"])
    _post_items(client, screening, "v2v", v2v.items, 1)
    response = _post_items(client, screening, "protective", instrument.protective_items, 1)
    assert response["Location"] == reverse("screening:screening_step", args=[screening.id, "review"])

    review = client.get(reverse("screening:screening_step", args=[screening.id, "review"])).content.decode()
    assert "still need" not in review

    # Complete, with a note.
    response = client.post(reverse("screening:screening_complete", args=[screening.id]), {
        "notes": "Client engaged well.", "confirm": "1",
    })
    assert response["Location"] == reverse("reports:results", args=[screening.id])
    screening.refresh_from_db()
    assert screening.status == "complete" and screening.completed_at and screening.notes == "Client engaged well."
    abuser_raw = sum(min(2, _top(abuser, i)) for i in abuser.items)
    abuser_max = sum(_top(abuser, i) for i in abuser.items)
    stored = screening.stored_scores()
    assert (stored.bond("abuser").raw, stored.bond("abuser").maximum) == (abuser_raw, abuser_max)
    assert stored.bond("abuser").percent == round(100 * abuser_raw / abuser_max, 1)
    assert stored.bond("v2v").raw == len(v2v.items)
    assert [f.key for f in stored.flags] == ["safety-suicidal-thoughts"]

    # Results: the flag first, then the two bonds, then the copyable summary.
    page = client.get(reverse("reports:results", args=[screening.id])).content.decode()
    flag_at = page.index("Suicidal thoughts")
    assert flag_at < page.index("Abuser-bond indicators") < page.index("Victim-to-victim indicators")
    assert "988" in page and "1-800-799-7233" in page
    assert f"Total <strong>{abuser_raw} of {abuser_max}</strong>" in page
    assert 'id="summary-text"' in page and "Client engaged well." in page

    # The PDF.
    response = client.get(reverse("reports:intake_pdf", args=[screening.id]))
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert re.match(r'attachment; filename="screening-RC-77-\d{4}-\d{2}-\d{2}\.pdf"', response["Content-Disposition"])
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Suicidal thoughts" in text and "Abuser-bond indicators" in text and "Victim-to-victim indicators" in text

    # Locked: a step now redirects to the results and changes nothing.
    response = _post_items(client, screening, "abuser", abuser.items, 0)
    assert response["Location"] == reverse("reports:results", args=[screening.id])
    assert screening.answers.filter(section="abuser", value__gte=1).count() == len(abuser.items)

    # Log out.
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("screening:home")).status_code == 302


def test_second_screening_is_a_rescreen(logged_in, client_record, clinician, make_screening):
    make_screening(client_record, clinician)
    logged_in.post(reverse("screening:screening_start", args=[client_record.id]))
    assert client_record.screenings.drafts().get().kind == "rescreen"


def test_draft_resumes_with_answers(logged_in, client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, bonds=("abuser",), complete=False)
    first = instrument.items_for_bond("abuser")[0]
    logged_in.post(reverse("screening:screening_step", args=[screening.id, "abuser"]),
                   {"instrument": "tbsc-1", item_field_name(first.key): "3", "stay": "1"})
    # "Closing the browser": a new session still finds the draft and its answer.
    logged_in.logout()
    logged_in.force_login(clinician)
    detail = logged_in.get(reverse("screening:client_detail", args=[client_record.id])).content.decode()
    assert "Resume" in detail
    page = logged_in.get(reverse("screening:screening_step", args=[screening.id, "abuser"])).content.decode()
    assert re.search(rf'name="{item_field_name(first.key)}"[^>]*value="3"[^>]*checked', page)


def test_discard_after_completion_in_another_tab_deletes_nothing(client_record, clinician, make_screening):
    from screening import services

    draft = make_screening(client_record, clinician, complete=False)
    stale = Screening.objects.get(pk=draft.pk)
    Screening.objects.filter(pk=draft.pk).update(status="complete", completed_at=draft.started_at, scores={})
    assert services.discard_draft(stale, Actor(stale.clinician)) is False
    assert Screening.objects.filter(pk=draft.pk).exists()


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
