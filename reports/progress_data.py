"""Everything the progress report shows, assembled as plain data; reports.progress_pdf only draws it."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count
from django.utils import timezone

from reports.data import BOND_HEADINGS, flag_status
from screening.history import bond_titles, points
from screening.instrument import CURRENT_KEY, load_instrument
from screening.models import Screening
from screening.progress import ListChange, SeriesPoint, bond_series, completed_in_order, list_change, percent_change


@dataclass(frozen=True)
class FlagLine:
    date: date
    kind: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ScoreRow:
    date: date
    kind: str
    percent: float | None
    raw: int | None
    maximum: int | None
    stages: int
    stages_total: int
    signs: int
    signs_applicable: int
    since_first: float | None
    since_previous: float | None
    amended: bool


@dataclass(frozen=True)
class ProgressBond:
    bond_type: str
    heading: str
    title: str
    rows: tuple[ScoreRow, ...]
    series: tuple[SeriesPoint, ...]
    stages: ListChange  # from the first to the last screening in range
    signs: ListChange


@dataclass(frozen=True)
class ProtectiveRow:
    date: date
    count: int
    items: int


@dataclass(frozen=True)
class ProgressReport:
    clinic_name: str
    client_code: str
    generated: str
    generated_by: str
    start: date | None
    end: date | None
    instrument_key: str
    instrument_title: str
    disclaimer: str
    screenings: int
    flag_history: tuple[FlagLine, ...]
    bonds: tuple[ProgressBond, ...]
    protective: tuple[ProtectiveRow, ...]
    other_versions: tuple[str, ...]
    amended: tuple[date, ...]


def _kind(kind):
    return Screening.Kind(kind).label


def _bond_section(history, key, title, instrument_key):
    series = bond_series(history, key, instrument_key)
    rows = []
    first = None
    previous = None
    for p in completed_in_order(history, instrument_key):
        bond = p.scores.bond(key)
        if bond is None:
            continue
        first = first or bond
        rows.append(ScoreRow(
            date=p.date, kind=_kind(p.kind), percent=bond.percent, raw=bond.raw, maximum=bond.maximum,
            stages=bond.stages_present, stages_total=len(bond.stages), signs=len(bond.signs_present),
            signs_applicable=bond.signs_applicable,
            since_first=percent_change(first, bond) if bond is not first else None,
            since_previous=percent_change(previous, bond),
            amended=p.amended,
        ))
        previous = bond
    stage_names = lambda b: [f"{s.number}. {s.title}" for s in b.stages if s.present] if b else []  # noqa: E731
    return ProgressBond(
        bond_type=key, heading=BOND_HEADINGS[key], title=title, rows=tuple(rows), series=tuple(series),
        stages=list_change(stage_names(first), stage_names(previous)),
        signs=list_change([s.title for s in first.signs_present] if first else [],
                           [s.title for s in previous.signs_present] if previous else []),
    )


def build_progress_report(client, user, start=None, end=None):
    screenings = client.screenings.completed().order_by("completed_at")
    history = [p for p in points(screenings)
               if (start is None or p.date >= start) and (end is None or p.date <= end)]
    done = completed_in_order(history)
    instrument_key = done[-1].instrument if done else CURRENT_KEY
    instrument = load_instrument(instrument_key)
    same = completed_in_order(history, instrument_key)
    flag_lines = {}
    for flag in client.safety_flags.annotate(follow_up_count=Count("follow_ups")).order_by("raised_at"):
        text = f"{flag.title}{' (recurring)' if flag.recurring else ''}: {flag_status(flag, flag.follow_up_count)}"
        key = str(flag.screening_id)
        flag_lines[key] = flag_lines.get(key, ()) + (text,)
    return ProgressReport(
        clinic_name=client.clinic.name,
        client_code=client.code,
        generated=timezone.localdate().isoformat(),
        generated_by=user.get_full_name(),
        start=start, end=end,
        instrument_key=instrument.key,
        instrument_title=instrument.title,
        disclaimer=instrument.disclaimer,
        screenings=len(same),
        flag_history=tuple(FlagLine(p.date, _kind(p.kind), flag_lines.get(p.id, ())) for p in done),
        bonds=tuple(_bond_section(history, key, title, instrument_key) for key, title in bond_titles(instrument)),
        protective=tuple(ProtectiveRow(p.date, p.scores.protective.count, p.scores.protective.items) for p in same),
        other_versions=tuple(sorted({p.instrument for p in done} - {instrument_key})),
        amended=tuple(p.date for p in same if p.amended),
    )
