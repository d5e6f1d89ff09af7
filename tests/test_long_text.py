"""Every free text at its largest allowed length, in words or as one unbroken word, renders in both
PDFs (split across pages where needed) and on the results page; crisis resources have a limit."""

import io
import re
import uuid
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from clinicians.actors import Actor
from clinicians.forms import ClinicSettingsForm
from clinicians.models import CRISIS_RESOURCES_MAX_LENGTH, Clinic
from screening import services
from screening.models import NOTES_MAX_LENGTH, Amendment, FollowUp, SafetyFlag
from screening.scoring import SAFETY

ROOT = Path(__file__).resolve().parent.parent

# Each field's largest allowed length (the model's, which the forms share).
LIMITS = {
    "clinic": 120, "full_name": 120, "code": 40, "label": 60, "notes": NOTES_MAX_LENGTH, "reason": 1000,
    "note": 4000, "referral": 200, "resources": CRISIS_RESOURCES_MAX_LENGTH,
}


def long_text(tag, length, unbroken):
    """`length` characters that start with <tag>-start and end with <tag>-end, in words or in one word."""
    head, tail = f"{tag}-start", f"{tag}-end"
    filler_length = length - len(head) - len(tail)
    if unbroken:
        filler = ("x" * filler_length)
    else:
        filler = (" lorem ipsum dolor" * (filler_length // 18 + 1))[:filler_length - 1] + " "
    text = head + filler + tail
    assert len(text) == length
    return text


def squeezed(pdf):
    """The PDF's text without any white space: a word split over lines or pages reads as one."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def longest_line(pdf):
    return max(len(line) for page in PdfReader(io.BytesIO(pdf)).pages for line in page.extract_text().splitlines())


def start_and_end(text):
    return re.sub(r"\s+", "", text[:60]), re.sub(r"\s+", "", text[-60:])


@pytest.fixture(params=[False, True], ids=["words", "unbroken"])
def longest(request, clinic, clinician, client_record, make_screening, instrument):
    """A flagged, amended screening whose every free text is as long as it may be."""
    unbroken = request.param
    texts = {key: long_text(key, length, unbroken) for key, length in LIMITS.items()}
    Clinic.objects.filter(pk=clinic.pk).update(name=texts["clinic"], crisis_resources=texts["resources"])
    clinician.full_name = texts["full_name"]
    clinician.save()
    client_record.code = texts["code"]
    client_record.save()
    client_record.refresh_from_db()
    safety = [item.key for item in instrument.safety_items]
    screening = make_screening(client_record, clinician, safety_yes=safety[:2], notes=texts["notes"])
    screening.abuser_label = texts["label"]
    screening.v2v_label = long_text("v2v", LIMITS["label"], unbroken)
    screening.save()
    other = next(key for key in safety if key not in safety[:2])
    amendment = services.amend_screening(screening.id, screening.__class__.objects.all(), Actor(clinician), texts["reason"],
                                         {SAFETY: {other: 1}})
    assert Amendment.objects.get(pk=amendment.pk).reason == texts["reason"]
    for flag in SafetyFlag.objects.filter(screening=screening):
        for _ in range(2):
            FollowUp.objects.create(flag=flag, action=FollowUp.Action.REFERRAL, referral_to=texts["referral"],
                                    note=texts["note"], recorded_by=clinician, submission=uuid.uuid4())
    screening.refresh_from_db()
    return screening, texts


def test_both_pdfs_render_every_free_text_at_its_longest(logged_in, longest):
    screening, texts = longest
    intake = logged_in.get(reverse("reports:intake_pdf", args=[screening.id]))
    assert intake.status_code == 200
    text = squeezed(intake.content)
    for key in LIMITS:
        start, end = start_and_end(texts[key])
        assert start in text and end in text, key
    assert len(PdfReader(io.BytesIO(intake.content)).pages) >= 4  # the long notes went onto more pages
    assert longest_line(intake.content) < 200  # long words were broken to the page width, not drawn off it

    progress = logged_in.get(reverse("reports:progress_pdf", args=[screening.client.id]))
    assert progress.status_code == 200
    text = squeezed(progress.content)
    for key in ("clinic", "code", "full_name"):
        start, end = start_and_end(texts[key])
        assert start in text and end in text, key
    assert longest_line(progress.content) < 200


def test_results_page_shows_long_text_and_wraps_it(logged_in, longest):
    screening, texts = longest
    page = logged_in.get(reverse("reports:results", args=[screening.id])).content.decode()
    for key in ("notes", "reason", "label", "code"):
        assert texts[key] in page, key
    css = (ROOT / "static" / "css" / "app.css").read_text()
    rule = re.search(r"([^{}]*)\{[^}]*overflow-wrap:\s*anywhere", css)
    assert rule, "app.css has no overflow-wrap: anywhere rule"
    for selector in (".pre-line", ".resources", ".summary-text", ".alert", "h1", "td", "li", ".breadcrumb-item"):
        assert selector in rule.group(1), selector


def test_crisis_resources_have_a_limit(clinic):
    data = {"name": clinic.name, "rescreen_interval_days": 90, "self_report_link_hours": 72, "export_retention_days": 7, "two_factor": "optional"}
    at_limit = ClinicSettingsForm({**data, "crisis_resources": "9" * CRISIS_RESOURCES_MAX_LENGTH}, instance=clinic)
    assert at_limit.is_valid(), at_limit.errors
    over = ClinicSettingsForm({**data, "crisis_resources": "9" * (CRISIS_RESOURCES_MAX_LENGTH + 1)}, instance=clinic)
    assert not over.is_valid()
    assert over.errors["crisis_resources"] == [
        f"Crisis resources can be at most {CRISIS_RESOURCES_MAX_LENGTH} characters (this text has "
        f"{CRISIS_RESOURCES_MAX_LENGTH + 1}). Keep each resource to a line: its name and how to reach it."
    ]
    # A browser sends line breaks as CRLF but counts them once, as the limit does.
    lines = "\r\n".join(["9" * 99] * 20)
    assert len(lines) > CRISIS_RESOURCES_MAX_LENGTH
    crlf = ClinicSettingsForm({**data, "crisis_resources": lines}, instance=clinic)
    assert crlf.is_valid(), crlf.errors
    assert crlf.cleaned_data["crisis_resources"] == lines.replace("\r\n", "\n")
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.filter(pk=clinic.pk).update(crisis_resources="9" * (CRISIS_RESOURCES_MAX_LENGTH + 1))


def test_settings_page_refuses_overlong_crisis_resources(client, clinic_admin):
    client.force_login(clinic_admin)
    response = client.post(reverse("clinicians:clinic_settings"), {
        "name": "Riverside Clinic", "crisis_resources": "9" * (CRISIS_RESOURCES_MAX_LENGTH + 1),
        "rescreen_interval_days": 90, "self_report_link_hours": 72, "export_retention_days": 7, "two_factor": "optional",
    })
    assert response.status_code == 200 and "can be at most 2000 characters" in response.content.decode()
    assert 'maxlength="2000"' in response.content.decode()
    clinic_admin.clinic.refresh_from_db()
    assert len(clinic_admin.clinic.crisis_resources) < CRISIS_RESOURCES_MAX_LENGTH
