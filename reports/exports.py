"""Data exports for supervisors, built with pandas in chunks so memory stays flat as a clinic grows.

- Client history (CSV): one row per completed screening and bond, with the client's code.
- Clinic export (CSV or XLSX): de-identified. No client codes, no clinician names, no notes or
  labels (free text can identify); clients and screenings appear under keys derived from their ids
  with the server's secret, stable across exports so a supervisor can follow one client over time.
"""

import hashlib
import hmac

import pandas as pd
from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook

from screening.instrument import load_instrument
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


def _screening_rows(screening, client_label, reasons=()):
    scores = scores_from_dict(screening.scores)
    amended = timezone.localtime(screening.amended_at).date().isoformat() if screening.amended_at else ""
    base = {
        "screening": pseudonym("screening", screening.id) if client_label is None else str(screening.id),
        "client": client_label or pseudonym("client", screening.client_id),
        "date": timezone.localtime(screening.completed_at).date().isoformat(),
        "kind": screening.kind,
        "instrument": screening.instrument_key,
        "amended": amended,
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


def _chunks(queryset):
    """Screenings in primary-key chunks: bounded memory whatever the size of the clinic."""
    queryset = queryset.order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        batch = list(page[:CHUNK])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def score_frames(screenings, client_label=None):
    """DataFrames of SCORE_COLUMNS, one per chunk: de-identified, or with client_label (the code)
    and amendment reasons for a one-client history (HISTORY_COLUMNS)."""
    from screening.models import Amendment

    columns = SCORE_COLUMNS if client_label is None else HISTORY_COLUMNS
    for batch in _chunks(screenings.completed()):
        reasons = {}
        if client_label is not None:
            for screening_id, reason in Amendment.objects.filter(screening__in=batch).values_list("screening_id", "reason"):
                reasons.setdefault(screening_id, []).append(reason)
        rows = [row for s in batch for row in _screening_rows(s, client_label, reasons.get(s.pk, ()))]
        yield pd.DataFrame(rows, columns=columns)


def item_frames(screenings):
    from screening.models import Answer

    for batch in _chunks(screenings.completed()):
        meta = {s.pk: s for s in batch}
        answers = Answer.objects.filter(screening__in=batch).order_by("screening_id", "id").values_list(
            "screening_id", "section", "item_key", "value", "declined")
        rows = [{
            "screening": pseudonym("screening", sid), "client": pseudonym("client", meta[sid].client_id),
            "date": timezone.localtime(meta[sid].completed_at).date().isoformat(),
            "instrument": meta[sid].instrument_key, "section": section, "item_key": key,
            "answer": "declined" if declined else value,
        } for sid, section, key, value, declined in answers]
        yield pd.DataFrame(rows, columns=ITEM_COLUMNS)


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
        freq = "; ".join(f"{o.value} = {o.label}" for o in instrument.frequency) + "; declined = declined / not asked"
        yes_no = "; ".join(f"{o.value} = {o.label}" for o in instrument.yes_no) + "; declined = declined / not asked"
        for item in instrument.bond_items:
            rows.append({"instrument": key, "section": " or ".join(item.bond_types), "item_key": item.key,
                         "wording": item.text, "scale": freq, "period": instrument.period, "source": item.source})
        for section, items in (("safety", instrument.safety_items), ("protective", instrument.protective_items)):
            for item in items:
                rows.append({"instrument": key, "section": section, "item_key": item.key, "wording": item.text,
                             "scale": yes_no, "period": instrument.period, "source": item.source})
    columns = ["instrument", "section", "item_key", "wording", "scale", "period", "source"]
    return pd.DataFrame(rows, columns=columns)


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
