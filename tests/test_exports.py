"""Exports round-trip through pandas with the right columns; the clinic files carry no client codes."""

import csv
import io
import re

import pandas as pd
import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from clinicians.actors import Actor
from audit.models import AuditEvent
from reports import exports
from reports.models import Export
from screening.models import Client
from tests.exporting import make_export, read_csv_gz, read_parquet, stored_bytes


def _csv(response):
    return pd.read_csv(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def two_clients(client_record, clinician, clinic, make_screening, instrument):
    other = Client.objects.create(clinic=clinic, code="SECRET-77", created_by=clinician)
    other.assigned.add(clinician)
    make_screening(client_record, clinician, value=2, safety_yes=("safety-suicidal-thoughts",))
    make_screening(client_record, clinician, bonds=("abuser",), value=1)
    make_screening(other, clinician, bonds=("v2v",), value=0)
    make_screening(other, clinician, complete=False)  # drafts are not exported
    return client_record, other


def test_client_history_csv(logged_in, two_clients, instrument):
    client_record, _other = two_clients
    frame = _csv(logged_in.get(reverse("reports:client_history_csv", args=[client_record.id])))
    assert list(frame.columns) == exports.HISTORY_COLUMNS
    assert len(frame) == 3 and set(frame["client"]) == {"C-0001"}
    n = len(instrument.items_for_bond("abuser"))
    abuser = frame[frame["bond"] == "abuser"].sort_values("total")
    assert list(abuser["total"]) == [n, 2 * n] and list(abuser["maximum"]) == [3 * n, 3 * n]
    assert frame["safety_flags"].fillna("").str.contains("Suicidal").sum() == 2  # both bond rows of that screening


def test_clinic_csv_is_de_identified(client, clinic_admin, two_clients, instrument):
    client.force_login(clinic_admin)
    scores = client.get(reverse("reports:clinic_export_screenings"))
    raw = b"".join(scores.streaming_content)
    frame = pd.read_csv(io.BytesIO(raw))
    assert list(frame.columns) == exports.SCORE_COLUMNS and len(frame) == 4
    assert b"C-0001" not in raw and b"SECRET-77" not in raw and b"Casey" not in raw
    assert frame["client"].nunique() == 2 and frame["screening"].nunique() == 3
    assert frame["client"].str.match(r"^C[0-9a-f]{12}$").all()

    items = client.get(reverse("reports:clinic_export_items"))
    raw = b"".join(items.streaming_content)
    frame = pd.read_csv(io.BytesIO(raw))
    assert list(frame.columns) == exports.ITEM_COLUMNS
    per_screening = len(instrument.safety_items) + len(instrument.protective_items)
    expected = (3 * per_screening + 2 * len(instrument.items_for_bond("abuser"))
                + 2 * len(instrument.items_for_bond("v2v")))
    assert len(frame) == expected
    assert b"C-0001" not in raw and b"SECRET-77" not in raw
    assert set(frame["section"]) == {"abuser", "v2v", "safety", "protective"}


def test_keys_are_stable_across_exports(client, clinic_admin, two_clients):
    client.force_login(clinic_admin)
    first = _csv(client.get(reverse("reports:clinic_export_screenings")))
    second = _csv(client.get(reverse("reports:clinic_export_screenings")))
    assert list(first["client"]) == list(second["client"])


def test_clinic_scores_xlsx_has_the_scores_and_a_data_dictionary(clinic_admin, two_clients, instrument):
    export = make_export(clinic_admin, Export.Kind.SCORES_XLSX)
    sheets = pd.read_excel(io.BytesIO(stored_bytes(export)), sheet_name=None)
    assert list(sheets) == ["screenings", "data dictionary"]
    assert list(sheets["screenings"].columns) == exports.SCORE_COLUMNS and len(sheets["screenings"]) == 4
    dictionary = sheets["data dictionary"]
    assert set(dictionary["item_key"]) >= {i.key for i in instrument.bond_items}
    assert dictionary["scale"].str.contains("Almost always").any()
    items = dictionary[dictionary["section"] != "column"]
    assert (items["instrument"] == "tbsc-1").all()
    columns = dictionary[dictionary["section"] == "column"]
    assert set(columns["item_key"]) <= set(exports.SCORE_COLUMNS) and "stages_not_known" in set(columns["item_key"])
    assert not dictionary["wording"].str.contains(r"\bpresent\b").any()  # "endorsed", everywhere
    flat = pd.concat(sheets.values()).astype(str).to_string()
    assert "C-0001" not in flat and "SECRET-77" not in flat


def test_each_export_is_audited(client, clinic_admin, two_clients):
    client.force_login(clinic_admin)
    for name in ("reports:clinic_export_screenings", "reports:clinic_export_items"):
        client.get(reverse(name))
    client.get(reverse("reports:client_history_csv", args=[two_clients[0].id]))
    assert AuditEvent.objects.filter(action="report.exported").count() == 3
    export = make_export(clinic_admin, Export.Kind.SCORES_XLSX)
    client.get(reverse("reports:export_download", args=[export.pk]))
    assert AuditEvent.objects.filter(action="report.export_requested").count() == 1
    assert AuditEvent.objects.filter(action="report.export_downloaded").count() == 1


def test_xlsx_rolls_over_past_the_row_limit(monkeypatch, two_clients, tmp_path):
    from reports import export_files
    from screening.models import Screening

    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 3)  # a header and two rows a sheet
    target = tmp_path / "x.xlsx"
    export_files.write_scores_xlsx(target, exports.score_row_batches(Screening.objects.all()), ["tbsc-1"], lambda n: None)
    sheets = pd.read_excel(target, sheet_name=None)
    assert list(sheets) == ["screenings", "screenings (2)", "data dictionary"]
    assert [len(sheets[n]) for n in ("screenings", "screenings (2)")] == [2, 2]
    assert all(list(sheets[n].columns) == exports.SCORE_COLUMNS for n in ("screenings", "screenings (2)"))


def test_chunks_cover_every_screening(monkeypatch, two_clients):
    from screening.models import Screening

    monkeypatch.setattr(exports, "CHUNK", 1)
    frames = list(exports.score_frames(Screening.objects.all()))
    assert len(frames) == 3 and sum(len(f) for f in frames) == 4


def test_amended_screenings_are_marked(logged_in, client, clinic_admin, two_clients, instrument):
    from screening import services
    from screening.models import Screening

    client_record, _other = two_clients
    screening = client_record.screenings.completed().first()
    item = instrument.protective_items[0]
    services.amend_screening(screening.id, Screening.objects.all(), Actor(clinic_admin), "Recorded in the wrong row.",
                             {"protective": {item.key: 0}})
    frame = _csv(logged_in.get(reverse("reports:client_history_csv", args=[client_record.id])))
    amended = frame[frame["screening"] == str(screening.id)]
    assert amended["amended"].notna().all() and (amended["amendment_reasons"] == "Recorded in the wrong row.").all()
    assert frame[frame["screening"] != str(screening.id)]["amended"].isna().all()

    client.force_login(clinic_admin)
    raw = b"".join(client.get(reverse("reports:clinic_export_screenings")).streaming_content)
    assert b"Recorded in the wrong row." not in raw
    assert pd.read_csv(io.BytesIO(raw))["amended"].notna().sum() == len(screening.stored_scores().bonds)


FORMULA = '=HYPERLINK("http://x","click")'


def test_spreadsheet_formulas_are_kept_as_text():
    from reports.spreadsheet import safe_cell, safe_frame

    assert safe_cell(FORMULA) == "'" + FORMULA
    for risky in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(risky) == "'" + risky
    assert safe_cell("Plain reason.") == "Plain reason." and safe_cell("") == ""
    assert safe_cell(-3) == -3 and safe_cell(-2.5) == -2.5 and safe_cell(None) is None  # numbers stay numbers
    frame = safe_frame(pd.DataFrame({
        "text": ["=1+1", "plain", "-x"], "mixed": [2, "@me", None], "number": [-1, 0, 3], "real": [-0.5, None, 1.0],
    }))
    assert list(frame["text"]) == ["'=1+1", "plain", "'-x"]
    assert list(frame["mixed"])[:2] == [2, "'@me"] and frame["mixed"].isna().tolist() == [False, False, True]
    assert list(frame["number"]) == [-1, 0, 3] and frame["number"].dtype.kind == "i"
    assert frame["real"].dtype.kind == "f" and frame["real"][0] == -0.5


def _cells(raw):
    return [cell for row in csv.reader(io.StringIO(raw.decode())) for cell in row]


def test_audit_csv_keeps_a_formula_name_as_text(client, clinic_admin):
    client.force_login(clinic_admin)
    client.post(reverse("clinicians:invite"), {"email": "eve@riverside.test", "role": "clinician"})
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    client.logout()
    password = "violet-harbour-lantern-42"
    response = client.post(link, {"full_name": FORMULA, "password1": password, "password2": password})
    assert response.status_code == 302
    client.force_login(clinic_admin)
    cells = _cells(b"".join(client.get(reverse("reports:audit_trail_csv")).streaming_content))
    assert "'" + FORMULA in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_exports_keep_formula_text_as_text(monkeypatch, client, clinic_admin, clinician, clinic, make_screening):
    formula_client = Client.objects.create(clinic=clinic, code="=1+2", created_by=clinician)  # made outside the form
    formula_client.assigned.add(clinician)
    make_screening(formula_client, clinician)
    monkeypatch.setattr(exports, "plain_answer", lambda value, state: "@SUM(1)")  # as if an answer were text
    client.force_login(clinic_admin)

    history = b"".join(client.get(reverse("reports:client_history_csv", args=[formula_client.id])).streaming_content)
    assert set(pd.read_csv(io.BytesIO(history))["client"]) == {"'=1+2"}
    items = b"".join(client.get(reverse("reports:clinic_export_items")).streaming_content)
    assert set(pd.read_csv(io.BytesIO(items))["answer"]) == {"'@SUM(1)"}
    for raw in (history, items, b"".join(client.get(reverse("reports:clinic_export_screenings")).streaming_content)):
        assert not [cell for cell in _cells(raw) if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]

    # The job's files: the same text-as-text rule (an item key that looks like a formula, here).
    from screening.models import Answer

    Answer.objects.filter(pk=Answer.objects.order_by("id").values("pk")[:1]).update(item_key="=cmd|' /C calc'!A0")
    workbook = load_workbook(io.BytesIO(stored_bytes(make_export(clinic_admin, Export.Kind.SCORES_XLSX))))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]  # no formula anywhere
    assert not [cell.value for cell in cells if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@")]
    assert all(isinstance(cell.value, int) for cell in workbook["screenings"]["K"][1:])  # totals stay numbers
    header, rows = read_csv_gz(stored_bytes(make_export(clinic_admin, Export.Kind.ITEMS_CSV)))
    assert "'=cmd|' /C calc'!A0" in {row[5] for row in rows}
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    table = read_parquet(stored_bytes(make_export(clinic_admin, Export.Kind.ITEMS_PARQUET)))
    assert "'=cmd|' /C calc'!A0" in set(table.column("item_key").to_pylist())


def test_rows_carry_timepoint_contact_and_relationship(logged_in, client, clinic_admin, client_record, clinician,
                                                       make_screening):
    from django.utils import timezone

    from screening.models import Screening

    first = make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2")
    Screening.objects.filter(pk=first.pk).update(completed_at=timezone.now() - timezone.timedelta(days=30),
                                                 abuser_contact="reduced")
    make_screening(client_record, clinician, bonds=("abuser",), instrument_key="tbsc-2")
    history = _csv(logged_in.get(reverse("reports:client_history_csv", args=[client_record.id])))
    assert list(history["timepoint"]) == ["Intake", "Re-screen 1"]
    assert list(history["days_since_intake"]) == [0, 30]
    assert list(history["label"]) == ["ex-partner", "ex-partner"] and set(history["clinician"]) == {"Casey Clinician"}
    assert history["contact"].fillna("").tolist() == ["reduced", ""]
    client.force_login(clinic_admin)
    clinic = _csv(client.get(reverse("reports:clinic_export_screenings")))
    assert list(clinic["timepoint"]) == ["Intake", "Re-screen 1"] and "label" not in clinic.columns  # free text stays out
