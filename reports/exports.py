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
from django.db.models import F, Min, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from openpyxl import Workbook

from reports.spreadsheet import safe_frame
from screening.instrument import load_instrument
from screening.models import Amendment, Answer, plain_answer
from screening.scoring import scores_from_dict

CHUNK = 2000

SCORE_COLUMNS = [
    "screening", "client", "date", "timepoint", "days_since_intake", "kind", "instrument", "amended", "bond",
    "contact", "items", "answered", "without_answer", "total", "maximum", "percent", "stages_endorsed",
    "stages_not_known", "signs_endorsed", "signs_not_known", "signs_applicable", "indicators_endorsed",
    "indicators_not_known", "indicators_applicable", "safety_flags", "protective_endorsed", "protective_items",
    "administration",  # last: columns that came before keep their places in existing spreadsheets
]
# The one-client history (identified, for the clinician) also carries the relationship's label, who
# gave each screening and why each correction was made; free text stays out of the de-identified files.
HISTORY_COLUMNS = SCORE_COLUMNS + ["label", "clinician", "amendment_reasons"]
ITEM_COLUMNS = ["screening", "client", "date", "instrument", "section", "item_key", "answer"]


def pseudonym(kind, value):
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}{digest[:12]}"


SCREENING_FIELDS = (
    "id", "client_id", "completed_at", "amended_at", "kind", "instrument_key", "scores", "abuser_contact",
    "v2v_contact", "abuser_label", "v2v_label", "self_report", "seq", "intake_at",
)


def _with_timepoints(completed):
    """Each screening's place in its client's history, in the same one query: the nth completed
    screening and when the first was completed (the intake comes first)."""
    return completed.annotate(
        seq=Window(RowNumber(), partition_by=[F("client_id")], order_by=[F("completed_at").asc(), F("id").asc()]),
        intake_at=Window(Min("completed_at"), partition_by=[F("client_id")]),
    )


def _screening_rows(row, client_label, reasons=(), clinician=""):
    (sid, client_id, completed_at, amended_at, kind, instrument_key, stored, abuser_contact, v2v_contact,
     abuser_label, v2v_label, self_report, seq, intake_at) = row
    scores = scores_from_dict(stored)
    day = timezone.localtime(completed_at).date()
    base = {
        "screening": pseudonym("screening", sid) if client_label is None else str(sid),
        "client": client_label or pseudonym("client", client_id),
        "date": day.isoformat(),
        "timepoint": "Intake" if kind == "intake" else f"Re-screen {seq - 1}",
        "days_since_intake": (day - timezone.localtime(intake_at).date()).days,
        "kind": kind,
        "instrument": instrument_key,
        "amended": timezone.localtime(amended_at).date().isoformat() if amended_at else "",
        "administration": self_report or "clinician",
        "safety_flags": "; ".join(f.flag for f in scores.flags),
        "protective_endorsed": scores.protective.count,
        "protective_items": scores.protective.items,
    }
    contacts = {"abuser": abuser_contact, "v2v": v2v_contact}
    labels = {"abuser": abuser_label, "v2v": v2v_label}
    for bond in scores.bonds:
        row = {
            **base,
            "bond": bond.bond_type, "contact": contacts.get(bond.bond_type, ""),
            "items": bond.items, "answered": bond.answered, "without_answer": bond.declined,
            "total": bond.raw, "maximum": bond.maximum, "percent": bond.percent,
            "stages_endorsed": bond.stages_present, "stages_not_known": len(bond.stages_not_known),
            "signs_endorsed": len(bond.signs_present), "signs_not_known": len(bond.signs_not_known),
            "signs_applicable": bond.signs_applicable, "indicators_endorsed": len(bond.indicators_present),
            "indicators_not_known": len(bond.indicators_not_known), "indicators_applicable": bond.indicators_applicable,
        }
        if client_label is not None:
            row.update(label=labels.get(bond.bond_type, ""), clinician=clinician, amendment_reasons=" | ".join(reasons))
        yield row


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
    clinicians = {}
    if client_label is not None:
        clinicians = {s.id: s.clinician_names for s in completed.select_related("clinician", "completed_by")}
    stream = _with_timepoints(completed).order_by("completed_at", "id").values_list(*SCREENING_FIELDS).iterator(
        chunk_size=CHUNK)
    for batch in _batches(stream, CHUNK):
        rows = [row for r in batch
                for row in _screening_rows(r, client_label, reasons.get(r[0], ()), clinicians.get(r[0], ""))]
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


# What the score columns mean, in the data dictionary beside the items.
COLUMN_NOTES = {
    "timepoint": "Intake, then Re-screen 1, 2, … in the client's order of completed screenings",
    "days_since_intake": "days from the intake's date to this screening's date",
    "administration": "how the screening was given: clinician (the clinician asked every question), tablet (the "
                      "client answered on the clinic's tablet) or link (by a one-time link); a clinician completed "
                      "each one",
    "contact": "contact with the other person in this bond: regular, reduced, none; empty when not recorded",
    "without_answer": "items declined, not asked or not applicable; left out of the total and the maximum",
    "total": "raw sum of the answered items (empty when fewer than 80% were answered)",
    "percent": "total as a percentage of the maximum for the answered items",
    "stages_endorsed": "stages with any item answered 'Sometimes' or more (or 'Yes', or at least once)",
    "stages_not_known": "stages none of whose items has an answer on the scale: never read as not endorsed",
    "signs_endorsed": "warning signs endorsed, as for stages",
    "signs_not_known": "warning signs none of whose items has an answer on the scale",
    "indicators_endorsed": "bond-specific indicators endorsed, as for stages",
    "indicators_not_known": "bond-specific indicators none of whose items has an answer on the scale",
    "protective_endorsed": "protective factors answered 'Yes' (context items are not counted)",
}


def data_dictionary(instrument_keys):
    rows = [{"instrument": "", "section": "column", "item_key": name, "wording": note, "scale": "", "period": "",
             "source": ""} for name, note in COLUMN_NOTES.items()]
    for key in instrument_keys:
        instrument = load_instrument(key)
        for section in instrument.sections():
            no_answer = "; ".join(f"{state} = {label.lower()}" for state, label in instrument.no_answer_options(section.key))
            for item in section.items:
                # A bond item asked for both bonds is one row, under both sections.
                if section.is_bond and item.bond_types[0] != section.key:
                    continue
                scale = "; ".join(f"{o.value} = {o.label}" for o in section.item_scale(item)) + f"; {no_answer}"
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
