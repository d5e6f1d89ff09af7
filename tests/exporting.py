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
