"""Every count comes from the instrument: a test checklist with 3 stages and 4 warning signs renders
the results page, the client and progress pages with their chart, both PDFs and the exports with no
"of 7", "of 8" or "of 10" (tbsc-1's counts) anywhere."""

import io
import re
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports.models import Export
from tests.exporting import make_export, stored_bytes

TBSC1_COUNTS = re.compile(r"\bof (7|8|10)\b")
PAGE_FOOTER = re.compile(r"Page \d+ of \d+")


def _pdf_text(response):
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return PAGE_FOOTER.sub("", re.sub(r"\s+", " ", text))


def _body(response):
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.fixture
def small_history(client_record, clinician, make_screening, small_instrument):
    intake = make_screening(client_record, clinician, instrument_key="small-1", value=2, safety_yes=("safety-suicide",))
    rescreen = make_screening(client_record, clinician, instrument_key="small-1", value=1)
    return intake, rescreen


def test_the_test_instrument_has_other_counts(small_instrument):
    assert len(small_instrument.stages) == 3 and len(small_instrument.signs) == 4


def test_pages_count_from_the_instrument(logged_in, client_record, small_history):
    _intake, rescreen = small_history
    pages = {
        "results": _body(logged_in.get(reverse("reports:results", args=[rescreen.id]))),
        "client": _body(logged_in.get(reverse("screening:client_detail", args=[client_record.id]))),
        "progress": _body(logged_in.get(reverse("reports:client_progress", args=[client_record.id]))),
    }
    for name, body in pages.items():
        assert not TBSC1_COUNTS.search(body), (name, TBSC1_COUNTS.search(body).group(0))
    assert "of 3" in pages["client"] and "of 3" in pages["progress"]
    assert "warning signs endorsed (of 4, dashed)" in pages["progress"]  # the chart's legend, drawn as SVG


def test_pdfs_count_from_the_instrument(logged_in, client_record, small_history):
    _intake, rescreen = small_history
    intake_text = _pdf_text(logged_in.get(reverse("reports:intake_pdf", args=[rescreen.id])))
    progress_text = _pdf_text(logged_in.get(reverse("reports:progress_pdf", args=[client_record.id])))
    for text in (intake_text, progress_text):
        assert not TBSC1_COUNTS.search(text), TBSC1_COUNTS.search(text).group(0)
    assert "Item one?" in intake_text and "small-1" in intake_text
    assert "of 4" in progress_text and "warning signs endorsed (of 4, dashed)" in progress_text


def test_exports_count_from_the_instrument(client, logged_in, clinic_admin, client_record, small_history):
    history = _body(logged_in.get(reverse("reports:client_history_csv", args=[client_record.id])))
    client.force_login(clinic_admin)
    scores = _body(client.get(reverse("reports:clinic_export_screenings")))
    items = _body(client.get(reverse("reports:clinic_export_items")))
    xlsx = stored_bytes(make_export(clinic_admin, Export.Kind.SCORES_XLSX))
    workbook = zipfile.ZipFile(io.BytesIO(xlsx))
    shared = workbook.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in workbook.namelist() else ""
    sheets = " ".join(workbook.read(name).decode() for name in workbook.namelist() if name.startswith("xl/worksheets/"))
    for text in (history, scores, items, shared, sheets):
        assert not TBSC1_COUNTS.search(text)
    assert "small-1" in history and "small-1" in scores and "Item one?" in shared + sheets
    header = history.splitlines()[0].split(",")
    first = dict(zip(header, history.splitlines()[1].split(",")))
    assert first["signs_applicable"] in ("3", "4")  # abuser 3 of the 4 signs, v2v all 4
