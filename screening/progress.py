"""Change over re-screenings, as pure functions over plain data (no ORM).

A Point is one screening: its date, kind, instrument version and stored scores. Screenings are
compared only within one instrument version; the others are listed but never joined into a line.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Point:
    id: str
    date: date
    kind: str
    instrument: str
    scores: object  # screening.scoring.ScreeningScores, or None for a draft
    amended: bool = False

    @property
    def completed(self):
        return self.scores is not None


@dataclass(frozen=True)
class ListChange:
    appeared: tuple[str, ...]
    gone: tuple[str, ...]
    still: tuple[str, ...]


def percent_change(before, after):
    """Change in percentage points between two BondScores, from the raw sums (not the rounded %)."""
    if before is None or after is None or not before.scored or not after.scored:
        return None
    return round(100 * (after.raw / after.maximum - before.raw / before.maximum), 1)


@dataclass(frozen=True)
class BondChange:
    bond_type: str
    title: str
    screened_before: bool
    screened_after: bool
    percent_before: float | None
    percent_after: float | None
    percent_delta: float | None
    stages: ListChange
    signs: ListChange
    indicators: ListChange

    @property
    def summary(self):
        if not self.screened_after and not self.screened_before:
            return "Not screened either time."
        if not self.screened_after:
            return "Screened before, not screened this time: no comparison."
        if not self.screened_before:
            return "Not screened before: this is the first screening of this bond."
        delta = self.percent_delta
        if delta is None:
            return "Too many items declined to compare totals."
        if delta == 0:
            return f"Total unchanged at {self.percent_after:g}% of the maximum."
        direction = "lower" if delta < 0 else "higher"
        return (f"Total {abs(delta):g} points {direction}: {self.percent_before:g}% → {self.percent_after:g}% "
                f"of the maximum ({'fewer or less frequent' if delta < 0 else 'more or more frequent'} indicators reported).")


@dataclass(frozen=True)
class ProtectiveChange:
    before: int
    after: int
    items: int
    factors: ListChange

    @property
    def summary(self):
        return protective_summary(self.before, self.after, self.items)


def protective_summary(before, after, items):
    """A rise in protective factors is good news; say so in words, not only in colour."""
    if after > before:
        return f"Good news: protective factors rose from {before} to {after} of {items}."
    if after < before:
        return f"Protective factors fell from {before} to {after} of {items}."
    return f"Protective factors unchanged at {after} of {items}."


@dataclass(frozen=True)
class Comparison:
    base: Point
    current: Point
    bonds: tuple[BondChange, ...]
    protective: ProtectiveChange
    flags_before: tuple[str, ...]
    flags_after: tuple[str, ...]


@dataclass(frozen=True)
class SeriesPoint:
    screening_id: str
    date: date
    percent: float | None
    stages: int
    stages_total: int
    signs: int
    signs_applicable: int
    flagged: bool


def list_change(before, after):
    before_set, after_set = set(before), set(after)
    order = list(dict.fromkeys([*before, *after]))
    return ListChange(
        appeared=tuple(x for x in order if x in after_set and x not in before_set),
        gone=tuple(x for x in order if x in before_set and x not in after_set),
        still=tuple(x for x in order if x in before_set and x in after_set),
    )


def _present(bond, what):
    if bond is None:
        return ()
    if what == "stages":
        return tuple(f"{s.number}. {s.title}" for s in bond.stages if s.present)
    return tuple(p.title for p in getattr(bond, what))


def compare(base, current, bond_types):
    """What changed from base to current. bond_types: [(key, title)] in display order."""
    bonds = []
    for key, title in bond_types:
        before, after = base.scores.bond(key), current.scores.bond(key)
        bonds.append(BondChange(
            bond_type=key, title=title,
            screened_before=before is not None, screened_after=after is not None,
            percent_before=before.percent if before else None,
            percent_after=after.percent if after else None,
            percent_delta=percent_change(before, after),
            stages=list_change(_present(before, "stages"), _present(after, "stages")),
            signs=list_change(_present(before, "signs_present"), _present(after, "signs_present")),
            indicators=list_change(_present(before, "indicators_present"), _present(after, "indicators_present")),
        ))
    p_before, p_after = base.scores.protective, current.scores.protective
    return Comparison(
        base=base, current=current, bonds=tuple(bonds),
        protective=ProtectiveChange(
            before=p_before.count, after=p_after.count, items=p_after.items,
            factors=list_change([p.title for p in p_before.present], [p.title for p in p_after.present]),
        ),
        flags_before=tuple(f.flag for f in base.scores.flags),
        flags_after=tuple(f.flag for f in current.scores.flags),
    )


def completed_in_order(points, instrument=None):
    # By date only: sorted() is stable and callers pass points in completion order, so two
    # screenings on one day keep their order (an id would shuffle them).
    done = sorted((p for p in points if p.completed), key=lambda p: p.date)
    return [p for p in done if instrument is None or p.instrument == instrument]


@dataclass(frozen=True)
class Changes:
    since_first: Comparison | None
    since_previous: Comparison | None
    first_is_intake: bool
    other_versions: tuple[str, ...]  # instrument versions left out of the comparison


def changes(points, bond_types):
    """Change of the latest completed screening since the first and since the previous one of its version."""
    done = completed_in_order(points)
    if not done:
        return Changes(None, None, False, ())
    latest = done[-1]
    same = [p for p in done if p.instrument == latest.instrument]
    others = tuple(sorted({p.instrument for p in done} - {latest.instrument}))
    if len(same) < 2:
        return Changes(None, None, False, others)
    first, previous = same[0], same[-2]
    return Changes(
        since_first=compare(first, latest, bond_types),
        since_previous=compare(previous, latest, bond_types) if previous is not first else None,
        first_is_intake=first.kind == "intake",
        other_versions=others,
    )


def bond_series(points, bond_type, instrument):
    """One point per completed screening of this instrument version that screened this bond."""
    series = []
    for p in completed_in_order(points, instrument):
        bond = p.scores.bond(bond_type)
        if bond is None:
            continue
        series.append(SeriesPoint(
            screening_id=p.id, date=p.date, percent=bond.percent,
            stages=bond.stages_present, stages_total=len(bond.stages), signs=len(bond.signs_present),
            signs_applicable=bond.signs_applicable, flagged=bool(p.scores.flags),
        ))
    return series
