"""Data exports for supervisors, built with pandas in chunks so memory stays flat as a clinic grows.

- Client history (CSV): one row per completed screening and bond, with the client's code.
- Every text cell goes through reports.spreadsheet (no cell is written that a spreadsheet would run).
- Clinic export (CSV or XLSX): de-identified. No client codes, no clinician names, no notes or
  labels (free text can identify); clients and screenings appear under keys derived from their ids
  with the server's secret, stable across exports so a supervisor can follow one client over time.
"""

import hashlib
import hmac
from itertools import islice

import pandas as pd
from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook

from reports.spreadsheet import safe_frame
from screening.instrument import load_instrument
from screening.models import Amendment, Answer, plain_answer
from screening.scoring import scores_from_dict

CHUNK = 2000

SCORE_COLUMNS = [
    "screening", "client", "date", "kind", "instrument", "amended", "bond", "items", "answered", "declined",
    "total", "maximum", "percent", "stages_present", "signs_present", "signs_applicable",
    "indicators_present", "indicators_applicable", "safety_flags", "protective_present", "protective_items",
]
# The one-client history (identified, for the clinician) also carries why each correction was made;
# free text stays out of the de-identified clinic files.
HISTORY_COLUMNS = SCORE_COLUMNS + ["amendment_reasons"]
ITEM_COLUMNS = ["screening", "client", "date", "instrument", "section", "item_key", "answer"]


def pseudonym(kind, value):
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}{digest[:12]}"


SCREENING_FIELDS = ("id", "client_id", "completed_at", "amended_at", "kind", "instrument_key", "scores")


def _screening_rows(row, client_label, reasons=()):
    sid, client_id, completed_at, amended_at, kind, instrument_key, stored = row
    scores = scores_from_dict(stored)
    base = {
        "screening": pseudonym("screening", sid) if client_label is None else str(sid),
        "client": client_label or pseudonym("client", client_id),
        "date": timezone.localtime(completed_at).date().isoformat(),
        "kind": kind,
        "instrument": instrument_key,
        "amended": timezone.localtime(amended_at).date().isoformat() if amended_at else "",
        "safety_flags": "; ".join(f.flag for f in scores.flags),
        "protective_present": scores.protective.count,
        "protective_items": scores.protective.items,
    }
    if client_label is not None:
        base["amendment_reasons"] = " | ".join(reasons)
    for bond in scores.bonds:
        yield {
            **base,
            "bond": bond.bond_type, "items": bond.items, "answered": bond.answered, "declined": bond.declined,
            "total": bond.raw, "maximum": bond.maximum, "percent": bond.percent,
            "stages_present": bond.stages_present, "signs_present": len(bond.signs_present),
            "signs_applicable": bond.signs_applicable, "indicators_present": len(bond.indicators_present),
            "indicators_applicable": bond.indicators_applicable,
        }


def _batches(rows, size):
    """Lists of up to `size` rows from one streamed query: one query, bounded memory."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def score_frames(screenings, client_label=None):
    """DataFrames of SCORE_COLUMNS, one per chunk: de-identified, or with client_label (the code)
    and amendment reasons for a one-client history (HISTORY_COLUMNS)."""
    completed = screenings.completed()
    columns = SCORE_COLUMNS if client_label is None else HISTORY_COLUMNS
    reasons = {}
    if client_label is not None:  # one client: a handful of amendments at most
        for screening_id, reason in Amendment.objects.filter(screening__in=completed).values_list("screening_id", "reason"):
            reasons.setdefault(screening_id, []).append(reason)
    stream = completed.order_by("completed_at", "id").values_list(*SCREENING_FIELDS).iterator(chunk_size=CHUNK)
    for batch in _batches(stream, CHUNK):
        rows = [row for r in batch for row in _screening_rows(r, client_label, reasons.get(r[0], ()))]
        yield safe_frame(pd.DataFrame(rows, columns=columns))


def item_frames(screenings):
    stream = (
        Answer.objects.filter(screening__in=screenings.completed())
        .order_by("screening__completed_at", "screening_id", "id")
        .values_list("screening_id", "screening__client_id", "screening__completed_at", "screening__instrument_key",
                     "section", "item_key", "value", "state")
        .iterator(chunk_size=CHUNK * 30)
    )
    keys = {}  # pseudonyms of the current chunk's screenings and clients, computed once each
    for batch in _batches(stream, CHUNK * 30):
        rows = []
        for sid, client_id, completed_at, instrument, section, key, value, state in batch:
            if sid not in keys:
                if len(keys) > CHUNK:
                    keys.clear()
                keys[sid] = (pseudonym("screening", sid), pseudonym("client", client_id),
                             timezone.localtime(completed_at).date().isoformat())
            screening_key, client_key, day = keys[sid]
            rows.append((screening_key, client_key, day, instrument, section, key, plain_answer(value, state)))
        yield safe_frame(pd.DataFrame(rows, columns=ITEM_COLUMNS))


def csv_chunks(frames):
    """CSV text, header once, chunk by chunk (for a StreamingHttpResponse)."""
    first = True
    for frame in frames:
        yield frame.to_csv(index=False, header=first)
        first = False


def data_dictionary(instrument_keys):
    rows = []
    for key in instrument_keys:
        instrument = load_instrument(key)
        for section in instrument.sections():
            scale = "; ".join(f"{o.value} = {o.label}" for o in section.scale) + "; declined = declined / not asked"
            for item in section.items:
                # A bond item asked for both bonds is one row, under both sections.
                if section.is_bond and item.bond_types[0] != section.key:
                    continue
                rows.append({"instrument": key, "section": " or ".join(item.bond_types) if section.is_bond else section.key,
                             "item_key": item.key, "wording": item.text, "scale": scale, "period": instrument.period,
                             "source": item.source})
    columns = ["instrument", "section", "item_key", "wording", "scale", "period", "source"]
    return safe_frame(pd.DataFrame(rows, columns=columns))


EXCEL_MAX_ROWS = 1_048_576


def write_xlsx(target, screenings, instrument_keys):
    """Write the clinic export as an XLSX workbook to a file: scores, items and a data dictionary.

    openpyxl's write-only mode keeps one row at a time; a sheet that would pass Excel's row limit
    continues on "items (2)" and so on.
    """
    workbook = Workbook(write_only=True)
    for title, columns, frames in (
        ("screenings", SCORE_COLUMNS, score_frames(screenings)),
        ("items", ITEM_COLUMNS, item_frames(screenings)),
    ):
        part, sheet, rows = 1, workbook.create_sheet(title), 1
        sheet.append(columns)
        for frame in frames:
            for row in frame.itertuples(index=False):
                if rows == EXCEL_MAX_ROWS:
                    part += 1
                    sheet, rows = workbook.create_sheet(f"{title} ({part})"), 1
                    sheet.append(columns)
                sheet.append([None if pd.isna(v) else v for v in row])
                rows += 1
    sheet = workbook.create_sheet("data dictionary")
    dictionary = data_dictionary(instrument_keys)
    sheet.append(list(dictionary.columns))
    for row in dictionary.itertuples(index=False):
        sheet.append(list(row))
    workbook.save(target)
