"""Data exports for supervisors, built with pandas in chunks so memory stays flat as a clinic grows.

- Client history (CSV): one row per completed screening and bond, with the client's code.
- Every text cell goes through reports.spreadsheet (no cell is written that a spreadsheet would run).
- Clinic export (CSV or XLSX): de-identified. No client codes, no clinician names, no notes or
  labels (free text can identify); clients and screenings appear under keys derived from their ids
  with the server's secret, stable across exports so a supervisor can follow one client over time.
"""

import hashlib
import hmac
import uuid
from array import array
from datetime import datetime
from datetime import timezone as dt_timezone
from itertools import islice

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.conf import settings
from django.db import connections
from django.db.models import Aggregate, CharField, F, Min, TextField, Value, Window
from django.db.models.functions import Cast, Coalesce, Concat, RowNumber
from django.utils import timezone

from reports.spreadsheet import safe_cell, safe_frame, safe_row
from screening import reliability
from screening.estimates import EstimateLookup
from screening.instrument import load_instrument
from screening.models import Amendment, Answer, plain_answer
from screening.progress import NOT_SCORED
from screening.scoring import ANSWERED, NOT_KNOWN

CHUNK = 2000

SCORE_COLUMNS = [
    "screening", "client", "date", "timepoint", "days_since_intake", "kind", "instrument", "amended", "bond",
    "contact", "items", "answered", "without_answer", "total", "maximum", "percent", "stages_endorsed",
    "stages_not_known", "signs_endorsed", "signs_not_known", "signs_applicable", "indicators_endorsed",
    "indicators_not_known", "indicators_applicable", "safety_flags", "protective_endorsed", "protective_items",
    "administration",  # columns that came before keep their places in existing spreadsheets
    # Reliable change since the previous screening of the same bond and relationship (SincePrevious).
    "rci", "rci_judgement", "rci_items", "rci_estimate_id", "rci_estimate_date",
]
RCI_COLUMNS = SCORE_COLUMNS[-5:]
# The one-client history (identified, for the clinician) also carries the relationship's label, who
# gave each screening and why each correction was made; free text stays out of the de-identified files.
HISTORY_COLUMNS = SCORE_COLUMNS + ["label", "clinician", "amendment_reasons"]
ITEM_COLUMNS = ["screening", "client", "date", "instrument", "section", "item_key", "answer"]


def pseudonym(kind, value):
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}{digest[:12]}"


SCREENING_FIELDS = (
    "id", "client_id", "completed_at", "amended_at", "kind", "instrument_key", "scores", "abuser_contact",
    "v2v_contact", "abuser_label", "v2v_label", "self_report", "client__clinic_id", "seq", "intake_at",
)


def _with_timepoints(completed):
    """Each screening's place in its client's history, in the same one query: the nth completed
    screening and when the first was completed (the intake comes first)."""
    return completed.annotate(
        seq=Window(RowNumber(), partition_by=[F("client_id")], order_by=[F("completed_at").asc(), F("id").asc()]),
        intake_at=Window(Min("completed_at"), partition_by=[F("client_id")]),
    )


def _stage_not_known(stage):
    # StageScore.status, on the stored dict: scores filed before "state" was stored lack it.
    state = stage.get("state") or ("endorsed" if stage["present"] else "not_known" if stage["answered"] == 0 else "")
    return state == NOT_KNOWN


def _bond_columns(bond):
    """The score columns of one stored bond (scores JSON, as scoring.BondScore reads it back), read
    straight from the dict: the export reads 100,000 of them, and rebuilding the dataclasses of
    scores_from_dict took most of its time. tests/test_export_jobs.py checks one against the other."""
    return {
        "bond": bond["bond_type"], "items": bond["items"], "answered": bond["answered"],
        "without_answer": bond["declined"], "total": bond["raw"], "maximum": bond["maximum"],
        "percent": bond["percent"],
        "stages_endorsed": sum(1 for stage in bond["stages"] if stage["present"]),
        "stages_not_known": sum(1 for stage in bond["stages"] if _stage_not_known(stage)),
        "signs_endorsed": len(bond["signs_present"]), "signs_not_known": len(bond.get("signs_not_known") or ()),
        "signs_applicable": bond["signs_applicable"], "indicators_endorsed": len(bond["indicators_present"]),
        "indicators_not_known": len(bond.get("indicators_not_known") or ()),
        "indicators_applicable": bond["indicators_applicable"],
    }


NOT_PAIRED = dict.fromkeys(RCI_COLUMNS, "")  # the first screening of a bond: nothing compared, never "0"


class SincePrevious:
    """The RCI columns of each score row: the reliable change of the bond since the client's previous
    completed screening of the same checklist version, bond and relationship label that screened the bond
    (a new label starts over; unlike the progress page's "since the previous screening", a screening that
    left the bond out, or was about another relationship, is skipped over, not compared), judged by screening.reliability against the estimate
    screening.estimates picks for the later screening's date.

    Call it with every row in completion order. Between rows it keeps, per client, version, bond and label,
    only the latest screening's item values, packed as bytes: whether its total was scored, which items
    were answered (an index into the few distinct sets of answered items seen, kept once each) and a byte
    per value; about 150 bytes each with the key. Estimates are read once per clinic (EstimateLookup)."""

    def __init__(self):
        self._previous = {}  # key (bytes) -> scored (1 byte), item set (3 bytes), one byte per value
        self._item_sets = {}  # (item key, ...) -> its index in _items
        self._items = []
        self._lookups = {}  # clinic id -> EstimateLookup

    def _pack(self, scored, values):
        keys, numbers = zip(*values) if values else ((), ())
        index = self._item_sets.get(keys)
        if index is None:
            index = self._item_sets[keys] = len(self._items)
            self._items.append(keys)
        return bytes((1 if scored else 0,)) + index.to_bytes(3, "big") + bytes(numbers)  # ValueError past 255

    def _unpack(self, packed):
        return dict(zip(self._items[int.from_bytes(packed[1:4], "big")], packed[4:]))

    def __call__(self, clinic_id, client_id, instrument, label, day, bond):
        """The RCI columns of one row: bond is the stored bond's dict, day the screening's local date."""
        bond_type = bond["bond_type"]
        values = bond.get("values") or ()
        key = client_id.bytes + "\x1f".join((instrument, bond_type, label)).encode()
        previous = self._previous.get(key)
        self._previous[key] = self._pack(bond["scored"], values)
        if previous is None:
            return NOT_PAIRED
        if not previous[0] or not bond["scored"]:
            return self.columns(NOT_SCORED)
        lookup = self._lookups.get(clinic_id)
        if lookup is None:
            lookup = self._lookups[clinic_id] = EstimateLookup.for_clinic(clinic_id)
        estimate = lookup(instrument, bond_type, day)
        return self.columns(reliability.judge(self._unpack(previous), dict(values), estimate))

    @staticmethod
    def columns(result):
        """The RCI columns of a reliability.ReliableChange or NotJudged."""
        day = result.estimate_date.isoformat() if result.estimate_date else ""
        estimate_id = "" if result.estimate_id is None else result.estimate_id
        if result.judged:
            return {"rci": round(result.rci, 2) + 0.0, "rci_judgement": result.judgement,
                    "rci_items": f"{result.items_used} of {result.items_total}", "rci_estimate_id": estimate_id,
                    "rci_estimate_date": day}
        return {"rci": "", "rci_judgement": f"not judged: {result.reason}", "rci_items": "",
                "rci_estimate_id": estimate_id, "rci_estimate_date": day}


def _screening_rows(row, client_label, since, reasons=(), clinician=""):
    """The score rows of one screening (a row of SCREENING_FIELDS), one per bond; since: the export's
    SincePrevious, fed every row in completion order."""
    (sid, client_id, completed_at, amended_at, kind, instrument_key, stored, abuser_contact, v2v_contact,
     abuser_label, v2v_label, self_report, clinic_id, seq, intake_at) = row
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
        "safety_flags": "; ".join(flag["flag"] for flag in stored["flags"]),
        "protective_endorsed": len(stored["protective"]["present"]),
        "protective_items": stored["protective"]["items"],
    }
    contacts = {"abuser": abuser_contact, "v2v": v2v_contact}
    labels = {"abuser": abuser_label, "v2v": v2v_label}
    for bond in stored["bonds"]:
        row = {**base, **_bond_columns(bond), "contact": contacts.get(bond["bond_type"], ""),
               **since(clinic_id, client_id, instrument_key, labels.get(bond["bond_type"]) or "", day, bond)}
        if client_label is not None:
            row.update(label=labels.get(bond["bond_type"], ""), clinician=clinician,
                       amendment_reasons=" | ".join(reasons))
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
    since = SincePrevious()
    for batch in _batches(stream, CHUNK):
        rows = [row for r in batch
                for row in _screening_rows(r, client_label, since, reasons.get(r[0], ()), clinicians.get(r[0], ""))]
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


# The clinic export jobs (reports/jobs.py) read in batches of screenings instead: each batch is one or
# two queries read to the end, so no query is left open while the job writes its progress between
# batches (on SQLite an open read would hold that write, and the web's, until the export ended).

# seq and intake_at come from the first pass; the scores come as text, decoded by orjson: with the
# item values stored since issue 15 a scores document is about 5 KB, and Python's json module spent a
# third of the 100,000-screening XLSX job decoding them (bench/export_job.py on SQLite: 31.2 s and
# 284 MB with json, 14.8 s and 209 MB with orjson).
JOB_SCREENING_FIELDS = tuple("scores_text" if field == "scores" else field for field in SCREENING_FIELDS[:-2])
_SCORES_AT = JOB_SCREENING_FIELDS.index("scores_text")


class CompletionOrder:
    """The completed screenings of a scope in the order they were completed, read once as ids with
    each one's place in its client's history (what _with_timepoints' window gives): 28 bytes a
    screening (2.8 MB at 100,000), and a dict of the clients' intakes while reading. Batches of rows
    are then one query each, by primary key."""

    def __init__(self, screenings):
        self.completed = screenings.completed()
        self.ids, self.seq, self.intake = bytearray(), array("I"), array("d")
        clients = {}  # client id -> [screenings so far, intake timestamp]
        stream = self.completed.order_by("completed_at", "id").values_list("id", "client_id", "completed_at")
        for screening_id, client_id, completed_at in stream.iterator(chunk_size=10000):
            seen = clients.get(client_id)
            if seen is None:
                seen = clients[client_id] = [0, completed_at.timestamp()]
            seen[0] += 1
            self.ids += screening_id.bytes
            self.seq.append(seen[0])
            self.intake.append(seen[1])
        self.count = len(self.seq)

    def batches(self, fields, size=None, **annotations):
        """Lists of up to `size` (row of `fields`, the first "id"; its place in the order), in completion
        order. A screening deleted meanwhile is left out. `annotations` may add fields."""
        size = size or CHUNK
        completed = self.completed.annotate(**annotations) if annotations else self.completed
        for start in range(0, self.count, size):
            end = min(start + size, self.count)
            chunk = [uuid.UUID(bytes=bytes(self.ids[16 * n:16 * n + 16])) for n in range(start, end)]
            place = {screening_id: start + n for n, screening_id in enumerate(chunk)}
            rows = sorted(completed.filter(id__in=chunk).order_by().values_list(*fields),
                          key=lambda row: place[row[0]])
            yield [(row, place[row[0]]) for row in rows]

    def timepoint(self, n):
        return self.seq[n], datetime.fromtimestamp(self.intake[n], tz=dt_timezone.utc)


def score_row_batches(screenings, size=None, order=None):
    """The de-identified score rows (lists in SCORE_COLUMNS order, text made safe), one list per batch
    of completed screenings, each with the number of screenings it covers (the job's progress)."""
    order = order or CompletionOrder(screenings)
    since = SincePrevious()
    for batch in order.batches(JOB_SCREENING_FIELDS, size, scores_text=Cast("scores", TextField())):
        rows = []
        for row, n in batch:
            text = row[_SCORES_AT]
            row = (*row[:_SCORES_AT], orjson.loads(text) if text is not None else None, *row[_SCORES_AT + 1:])
            for out in _screening_rows((*row, *order.timepoint(n)), None, since):
                rows.append(safe_row([out[column] for column in SCORE_COLUMNS]))
        yield rows, len(batch)


ITEM_SCHEMA = pa.schema([
    ("screening", pa.string()), ("client", pa.string()), ("date", pa.date32()), ("instrument", pa.string()),
    ("section", pa.string()), ("item_key", pa.string()), ("answer", pa.string()),
])
assert ITEM_SCHEMA.names == ITEM_COLUMNS


class _Lines(Aggregate):
    """The rows' text joined into one, a line each (no order): string_agg on PostgreSQL, group_concat
    on SQLite. The item export reads a batch's answers as one text that pyarrow parses, instead of
    100,000 rows of Python objects."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, CHR(10))"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT",
                              template="%(function)s(%(expressions)s, CHAR(10))", **extra)


SEPARATOR = "\x1f"  # ASCII unit separator: in no section name, item key or answer
ANSWER_LINE_COLUMNS = ["screening_id", "id", "section", "item_key", "answer"]


def _answer_lines(screening_ids, db):
    """The answers of these screenings as a pyarrow Table of ANSWER_LINE_COLUMNS (screening_id as
    the database writes it as text), read as one text. The answer: the value, or the state."""
    fields = [Cast("screening_id", CharField()), Cast("id", CharField()), F("section"), F("item_key"),
              Coalesce(Cast("value", CharField()), F("state"))]
    parts = [part for field in fields for part in (field, Value(SEPARATOR))][:-1]
    text = (Answer.objects.using(db).filter(screening_id__in=screening_ids).order_by()
            .aggregate(lines=_Lines(Concat(*parts, output_field=CharField())))["lines"])
    if not text:
        return None
    return pa_csv.read_csv(
        pa.BufferReader(text.encode()),
        read_options=pa_csv.ReadOptions(column_names=ANSWER_LINE_COLUMNS),
        parse_options=pa_csv.ParseOptions(delimiter=SEPARATOR, quote_char=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.int64() if name == "id" else pa.string() for name in ANSWER_LINE_COLUMNS},
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _safe_text(array):
    """safe_cell over a text column of few distinct values (sections, item keys, answers), done on
    the distinct values only."""
    encoded = array.dictionary_encode()
    values = encoded.dictionary.to_pylist()
    safe = [safe_cell(value) for value in values]
    if safe == values:
        return array
    return pa.array(safe, pa.string()).take(encoded.indices)


def item_tables(screenings, size=None, order=None):
    """The de-identified item answers as pyarrow Tables of ITEM_SCHEMA, one per batch of completed
    screenings (in the order of item_frames: by completion, then answer). The answer is the scale
    value ("2") or why there is none ("declined"), as in the CSV."""
    target = Answer._meta.get_field("screening").target_field
    connection = connections[screenings.db]
    clients = {}  # pseudonyms of the clients of this batch and the last
    completion = order or CompletionOrder(screenings)
    for batch in completion.batches(("id", "client_id", "completed_at", "instrument_key"), size):
        batch = [row for row, _n in batch]
        ids = [row[0] for row in batch]
        answers = _answer_lines(ids, screenings.db)
        if answers is None:
            continue
        # Each answer's screening, as its place in the batch; then sorted by that place and answer id.
        as_text = pa.array([str(target.get_db_prep_value(sid, connection)) for sid in ids], pa.string())
        where = pc.index_in(answers["screening_id"], value_set=as_text).to_numpy(zero_copy_only=False)
        rows = np.lexsort((answers["id"].to_numpy(), where))
        take = pa.array(where[rows])
        if len(clients) > 2 * len(batch):
            clients.clear()
        for row in batch:
            if row[1] not in clients:
                clients[row[1]] = pseudonym("client", row[1])
        yield pa.Table.from_arrays([
            pa.array([pseudonym("screening", sid) for sid in ids], pa.string()).take(take),
            pa.array([clients[row[1]] for row in batch], pa.string()).take(take),
            pa.array([timezone.localtime(row[2]).date() for row in batch], pa.date32()).take(take),
            _safe_text(pa.array([row[3] for row in batch], pa.string())).take(take),
            _safe_text(answers["section"].take(rows).combine_chunks()),
            _safe_text(answers["item_key"].take(rows).combine_chunks()),
            _safe_text(answers["answer"].take(rows).combine_chunks()),
        ], schema=ITEM_SCHEMA)


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
    "rci": "reliable change index (Jacobson & Truax, 1991) of this bond's raw total since the client's previous "
           "screening of the same checklist version that screened this bond about the same relationship label "
           "(screenings in between without it are skipped over), over the items answered on the "
           "scale both times; 2 decimals. Empty when not judged, and at the first screening of a bond or "
           "relationship (nothing to compare)",
    "rci_judgement": "lower beyond measurement error or higher beyond measurement error (|rci| > 1.96), within "
                     "measurement error, or 'not judged: ' and why; says nothing clinical, only whether the "
                     "difference is larger than the checklist's own noise. Empty at a first screening",
    "rci_items": "items the judgement summed, of the estimate's items (those asked at every screening): "
                 "'21 of 26'; items without an answer at either screening are left out, never read as change",
    "rci_estimate_id": "the clinic's reliability estimate the pair was judged against (or that had too few complete "
                       "intakes to judge it); its figures are on the Measurement page. Provisional, estimated locally",
    "rci_estimate_date": "the date of that estimate (the start of the month it was made for)",
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
