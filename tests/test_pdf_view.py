"""The intake PDF as served: read back, each bond's figures in its own section, user text literal."""

import io
import re

from django.urls import reverse
from pypdf import PdfReader

from reports.data import NO_FLAGS

NASTY = "<b>bold</b> & <script>alert(1)</script>"


def _text(response):
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return re.sub(r"\s+", " ", text)


def test_sections_flags_and_scores(logged_in, client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, value=2, safety_yes=("safety-substance-use",), notes=NASTY)
    screening.abuser_label = "ex & <i>partner</i>"
    screening.save(update_fields=["abuser_label"])
    text = _text(logged_in.get(reverse("reports:intake_pdf", args=[screening.id])))

    urgent = text.index("Safety: Safety flags raised in this screening")
    abuser = text.index("Abuser-bond indicators")
    v2v = text.index("Victim-to-victim indicators")
    protective = text.index("Protective factors")
    assert urgent < abuser < v2v < protective
    assert "Alcohol or drug use to cope" in text[urgent:abuser]
    assert "National Domestic Violence Hotline: 1-800-799-7233" in text[urgent:abuser]

    n_abuser, n_v2v = len(instrument.items_for_bond("abuser")), len(instrument.items_for_bond("v2v"))
    assert f"Total: {2 * n_abuser} of {3 * n_abuser}" in text[abuser:v2v]
    assert f"Total: {2 * n_v2v} of {3 * n_v2v}" in text[v2v:protective]
    assert "ex & <i>partner</i>" in text[abuser:v2v]
    assert NASTY in text
    pages = len(PdfReader(io.BytesIO(logged_in.get(reverse("reports:intake_pdf", args=[screening.id])).content)).pages)
    assert f"Page {pages} of {pages}" in text
    assert text.count("not a diagnosis") == pages and text.count("Client C-0001") == pages


def test_bond_not_screened_says_so(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, bonds=("v2v",))
    text = _text(logged_in.get(reverse("reports:intake_pdf", args=[screening.id])))
    abuser_part = text[text.index("Abuser-bond indicators"):text.index("Victim-to-victim indicators")]
    assert "This bond was not screened in this administration." in abuser_part
    assert NO_FLAGS in text and "Act this session" not in text
