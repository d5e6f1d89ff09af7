"""Helpers for tests of the clinic export files: make one in the test's own transaction (no worker),
and read each format back."""

import csv
import gzip
import io

import pyarrow.parquet as pq
from openpyxl import load_workbook

from clinicians.actors import Actor
from reports import jobs
from reports.models import Export
from screening.models import Client


def make_history(clinic, clinician, client_record, make_screening):
    """Two clients, three completed screenings (4 score rows), a draft that is never exported; the
    second client's code is one no export may show."""
    other = Client.objects.create(clinic=clinic, code="SECRET-77", created_by=clinician)
    other.assigned.add(clinician)
    make_screening(client_record, clinician, value=2, safety_yes=("safety-suicidal-thoughts",))
    make_screening(client_record, clinician, bonds=("abuser",), value=1)
    make_screening(other, clinician, bonds=("v2v",), value=0)
    make_screening(other, clinician, complete=False)
    return client_record, other


def history_answers(instrument):
    """How many answers make_history's three completed screenings hold (the items files' rows)."""
    per_screening = len(instrument.safety_items) + len(instrument.protective_items)
    return 3 * per_screening + 2 * len(instrument.items_for_bond("abuser")) + 2 * len(instrument.items_for_bond("v2v"))


def make_export(admin, kind):
    """Ask for an export and run its job right here; the export, ready (or failed)."""
    export, _created = jobs.request_export(admin.clinic, admin, kind, {}, Actor(admin))
    jobs.run_export(export.pk)
    export.refresh_from_db()
    return export


def stored_bytes(export):
    with export.file.open("rb") as handle:
        return handle.read()


def read_xlsx(raw):
    """{sheet title: [rows as tuples]} and the workbook (for cell types)."""
    workbook = load_workbook(io.BytesIO(raw))
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}, workbook


def read_csv_gz(raw):
    """The header and the rows, as text."""
    rows = list(csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))
    return rows[0], rows[1:]


def read_parquet(raw):
    return pq.read_table(io.BytesIO(raw))


def plain_text(export):
    """The file's content as text, whatever the format (for "no client code anywhere")."""
    raw = stored_bytes(export)
    if export.kind == Export.Kind.ITEMS_CSV:
        return gzip.decompress(raw).decode("utf-8")
    if export.kind == Export.Kind.ITEMS_PARQUET:
        return read_parquet(raw).to_pandas().astype(str).to_csv()
    sheets, _ = read_xlsx(raw)
    return repr(sheets)
