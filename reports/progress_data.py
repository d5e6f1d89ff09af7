"""Everything the progress report shows, assembled as plain data; reports.progress_pdf only draws it."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count
from django.utils import timezone

from reports.data import BOND_HEADINGS, flag_status
from screening.estimates import EstimateLookup
from screening.history import bond_titles, points
from screening.instrument import CURRENT_KEY, load_instrument
from screening.models import Screening
from screening.progress import (
    ListChange, SeriesPoint, bond_series, completed_in_order, judge_pair, list_change, percent_change, relationships,
    state_change,
)


@dataclass(frozen=True)
class FlagLine:
    date: date
    kind: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ScoreRow:
    date: date
    kind: str
    timepoint: str
    days_since_intake: int | None
    label: str
    clinician: str
    contact: str
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
    label: str  # the relationship: a new label is a section of its own, never joined to the old one
    rows: tuple[ScoreRow, ...]
    series: tuple[SeriesPoint, ...]
    stages: ListChange  # from the first to the last screening in range; "not known" left out
    signs: ListChange
    compared_items_differ: bool = False
    # From the first to the last screening in range: a screening.reliability.ReliableChange, a NotJudged
    # saying why not, or None with fewer than two screenings.
    reliable_change: object = None


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


def _bond_section(history, key, title, instrument_key, label, lookup=None):
    series = bond_series(history, key, instrument_key, label)
    rows = []
    first = previous = None
    first_point = last_point = None
    for p in completed_in_order(history, instrument_key):
        bond = p.scores.bond(key)
        if bond is None or p.label(key) != label:
            continue
        first = first or bond
        first_point, last_point = first_point or p, p
        rows.append(ScoreRow(
            date=p.date, kind=_kind(p.kind), timepoint=p.timepoint, days_since_intake=p.days_since_intake,
            label=p.label(key), clinician=p.clinician, contact=p.contact(key),
            percent=bond.percent, raw=bond.raw, maximum=bond.maximum,
            stages=bond.stages_present, stages_total=len(bond.stages), signs=len(bond.signs_present),
            signs_applicable=bond.signs_applicable,
            since_first=percent_change(first, bond) if bond is not first else None,
            since_previous=percent_change(previous, bond),
            amended=p.amended,
        ))
        previous = bond
    known = first is not None and previous is not None
    return ProgressBond(
        bond_type=key, heading=BOND_HEADINGS[key], title=title, label=label, rows=tuple(rows), series=tuple(series),
        stages=state_change(first, previous, "stages") if known else list_change((), ()),
        signs=state_change(first, previous, "signs_present") if known else list_change((), ()),
        compared_items_differ=known and first is not previous and (
            {m.key for m in first.missing} != {m.key for m in previous.missing} or first.answered != previous.answered),
        reliable_change=judge_pair(first, previous, first_point, last_point, key, lookup)
        if known and first is not previous else None,
    )


def build_progress_report(client, user, start=None, end=None):
    screenings = client.screenings.completed().select_related("clinician", "completed_by").order_by("completed_at")
    history = [p for p in points(screenings)
               if (start is None or p.date >= start) and (end is None or p.date <= end)]
    done = completed_in_order(history)
    instrument_key = done[-1].instrument if done else CURRENT_KEY
    instrument = load_instrument(instrument_key)
    same = completed_in_order(history, instrument_key)
    lookup = EstimateLookup.for_clinic(client.clinic_id)
    flag_lines, discarded = {}, {}
    for flag in client.safety_flags.filter(withdrawn_at__isnull=True).annotate(
            follow_up_count=Count("follow_ups")).order_by("tier", "raised_at"):
        text = (f"{flag.get_tier_display()}: {flag.title}{' (recurring)' if flag.recurring else ''}: "
                f"{flag_status(flag, flag.follow_up_count)}")
        if flag.screening_id is None:  # raised in a draft that was discarded: the flag was kept
            day = timezone.localtime(flag.raised_at).date()
            discarded[day] = discarded.get(day, ()) + (text,)
            continue
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
        flag_history=tuple(sorted(
            [FlagLine(p.date, p.timepoint or _kind(p.kind), flag_lines.get(p.id, ())) for p in done]
            + [FlagLine(day, "Discarded draft", lines) for day, lines in sorted(discarded.items())
               if (start is None or day >= start) and (end is None or day <= end)],
            key=lambda line: line.date)),
        bonds=tuple(
            _bond_section(history, key, title, instrument_key, label, lookup)
            for key, title in bond_titles(instrument)
            for label in (relationships(history, key, instrument_key) or [""])
        ),
        protective=tuple(ProtectiveRow(p.date, p.scores.protective.count, p.scores.protective.items) for p in same),
        other_versions=tuple(sorted({p.instrument for p in done} - {instrument_key})),
        amended=tuple(p.date for p in same if p.amended),
    )
