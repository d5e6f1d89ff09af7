"""Change over re-screenings, as pure functions over plain data (no ORM).

A Point is one screening: its date, kind, instrument version and stored scores. Screenings are
compared only within one instrument version; the others are listed but never joined into a line.

Whether a bond's change is beyond measurement error is judged by screening.reliability against a stored
estimate, which the caller finds with a `lookup(instrument_key, bond_type, completed_on)` callable
(screening.estimates.EstimateLookup.for_clinic(clinic_id): one query, then plain look-ups), so this
module stays pure. Without a lookup, nothing is judged and the words say there is no estimate.
"""

from dataclasses import dataclass
from datetime import date

from screening import reliability


def no_estimates(instrument_key, bond_type, completed_on):
    """The lookup used when the caller passes none: no estimate for anything."""
    return None


# A pair one of whose totals is not scored (too few items answered) is not judged (the exports say the same).
NOT_SCORED = reliability.NotJudged("too many items without an answer to compare totals.")


def judge_pair(before, after, base, current, bond_type, lookup=None):
    """The reliable change of one bond from `base` to `current` (Points; BondScores before/after): a
    reliability.ReliableChange, or a reliability.NotJudged saying why not."""
    if not before.scored or not after.scored:
        return NOT_SCORED
    estimate = (lookup or no_estimates)(current.instrument, bond_type, max(base.date, current.date))
    return reliability.judge(before.value_map, after.value_map, estimate)


@dataclass(frozen=True)
class Point:
    id: str
    date: date
    kind: str
    instrument: str
    scores: object  # screening.scoring.ScreeningScores, or None for a draft
    amended: bool = False
    labels: tuple = ()  # ((bond_type, label), …): the relationship each bond is about
    contacts: tuple = ()  # ((bond_type, "Reduced contact"), …)
    timepoint: str = ""  # "Intake", "Re-screen 1", …
    days_since_intake: int | None = None
    clinician: str = ""

    def label(self, bond_type):
        return dict(self.labels).get(bond_type, "")

    def contact(self, bond_type):
        return dict(self.contacts).get(bond_type, "")

    @property
    def completed(self):
        return self.scores is not None


@dataclass(frozen=True)
class ListChange:
    appeared: tuple[str, ...]  # newly endorsed: not endorsed before, endorsed now
    gone: tuple[str, ...]  # no longer endorsed: endorsed before, not endorsed now
    still: tuple[str, ...]  # endorsed both times
    not_known: tuple[str, ...] = ()  # not known at one of the two: left out of the change


def percent_change(before, after):
    """Change in percentage points between two BondScores, as printed: the difference of the two
    percentages shown, so equal values print as no change (65.2% → 65.2% is 0, not +0.1)."""
    if before is None or after is None or not before.scored or not after.scored:
        return None
    return round(after.percent - before.percent, 1)


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
    label_before: str = ""
    label_after: str = ""
    same_items: bool = True  # the same items answered both times
    # Compared bonds: a reliability.ReliableChange, or a reliability.NotJudged saying why not; None for
    # a bond not compared (not screened both times, or about another relationship).
    reliable_change: object = None

    @property
    def same_relationship(self):
        return self.label_before == self.label_after

    @property
    def summary(self):
        """The figures in words, then the judgement of reliable change (one paragraph, for plain text)."""
        judged = self.reliable_change is not None and self.percent_delta is not None
        return f"{self.figures} {self.reliable_change.text}" if judged else self.figures

    @property
    def figures(self):
        """The change of the total in words, without the judgement (pages show that as its own part)."""
        if not self.screened_after and not self.screened_before:
            return "Not screened either time."
        if not self.screened_after:
            return "Screened before, not screened this time: no comparison."
        if not self.screened_before:
            return "Not screened before: this is the first screening of this bond."
        if not self.same_relationship:
            return (f"Not compared: a different relationship (“{self.label_before or 'no label'}” then, "
                    f"“{self.label_after or 'no label'}” now).")
        delta = self.percent_delta
        if delta is None:
            return "Too many items without an answer to compare totals."
        if delta == 0:
            return f"No change in the total: {self.percent_after:g}% of the maximum both times."
        direction = "lower" if delta < 0 else "higher"
        items = "" if self.same_items else (
            " The items answered differ between the two screenings, so the totals cover different questions.")
        return (f"Total {direction}: {self.percent_before:g}% → {self.percent_after:g}% of the maximum for answered "
                f"items ({delta:+g} percentage points).{items}")


@dataclass(frozen=True)
class ProtectiveChange:
    before: int  # endorsed, among the factors answered both times
    after: int
    items: int  # the factors answered both times
    factors: ListChange

    @property
    def summary(self):
        words = protective_summary(self.before, self.after, self.items)
        if self.factors.not_known:
            words += (f" Counted over the {self.items} factors answered both times; not known at one of the two: "
                      f"{'; '.join(self.factors.not_known)}.")
        return words


def protective_summary(before, after, items):
    """Neutral words with the figures: the number of factors is a count, not a score to cheer."""
    if after == before:
        return f"Protective factors: no change, {after} of {items} both times."
    direction = "higher" if after > before else "lower"
    return f"Protective factors {direction}: {before} → {after} of {items}."


@dataclass(frozen=True)
class Comparison:
    base: Point
    current: Point
    bonds: tuple[BondChange, ...]
    protective: ProtectiveChange
    flags_before: tuple[str, ...]
    flags_after: tuple[str, ...]
    not_assessed_before: tuple[str, ...] = ()  # safety questions declined or not asked: never "none"
    not_assessed_after: tuple[str, ...] = ()


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
    not_assessed: bool = False  # a safety question declined or not asked
    timepoint: str = ""
    label: str = ""
    contact: str = ""
    clinician: str = ""


def list_change(before, after, not_known_before=(), not_known_after=()):
    """What came and went between two lists of endorsed names. A name not known at either time is
    in neither list: "not known" is never read as "not endorsed"."""
    unknown = set(not_known_before) | set(not_known_after)
    before_set, after_set = set(before), set(after)
    order = list(dict.fromkeys([*before, *after, *not_known_before, *not_known_after]))
    return ListChange(
        appeared=tuple(x for x in order if x in after_set and x not in before_set and x not in unknown),
        gone=tuple(x for x in order if x in before_set and x not in after_set and x not in unknown),
        still=tuple(x for x in order if x in before_set and x in after_set),
        not_known=tuple(x for x in order if x in unknown and not (x in before_set and x in after_set)),
    )


def _endorsed(bond, what):
    if bond is None:
        return ()
    if what == "stages":
        return tuple(f"{s.number}. {s.title}" for s in bond.stages if s.present)
    return tuple(p.title for p in getattr(bond, what))


def _not_known(bond, what):
    if bond is None:
        return ()
    if what == "stages":
        return tuple(f"{s.number}. {s.title}" for s in bond.stages_not_known)
    return tuple(p.title for p in getattr(bond, {"signs_present": "signs_not_known",
                                                 "indicators_present": "indicators_not_known"}[what]))


def state_change(before, after, what):
    """What came and went between two BondScores: what = "stages", "signs_present" or "indicators_present"."""
    return _change(before, after, what)


def _change(before, after, what):
    return list_change(_endorsed(before, what), _endorsed(after, what), _not_known(before, what), _not_known(after, what))


def compare(base, current, bond_types, lookup=None):
    """What changed from base to current. bond_types: [(key, title)] in display order; lookup: finds the
    reliability estimate a bond's change is judged against (see the module's docstring)."""
    bonds = []
    for key, title in bond_types:
        before, after = base.scores.bond(key), current.scores.bond(key)
        same = base.label(key) == current.label(key)
        compared = before is not None and after is not None and same
        bonds.append(BondChange(
            bond_type=key, title=title,
            screened_before=before is not None, screened_after=after is not None,
            percent_before=before.percent if before else None,
            percent_after=after.percent if after else None,
            percent_delta=percent_change(before, after) if same else None,
            stages=_change(before, after, "stages") if compared else list_change((), ()),
            signs=_change(before, after, "signs_present") if compared else list_change((), ()),
            indicators=_change(before, after, "indicators_present") if compared else list_change((), ()),
            label_before=base.label(key), label_after=current.label(key),
            same_items=compared and {m.key for m in before.missing} == {m.key for m in after.missing}
            and before.answered == after.answered,
            reliable_change=judge_pair(before, after, base, current, key, lookup) if compared else None,
        ))
    p_before, p_after = base.scores.protective, current.scores.protective
    return Comparison(
        base=base, current=current, bonds=tuple(bonds),
        protective=_protective_change(p_before, p_after),
        flags_before=tuple(f.flag for f in base.scores.flags),
        flags_after=tuple(f.flag for f in current.scores.flags),
        not_assessed_before=tuple(p.title for p in base.scores.safety_declined),
        not_assessed_after=tuple(p.title for p in current.scores.safety_declined),
    )


def _protective_change(before, after):
    """Protective factors compared over those answered ("Yes" or "No") both times: a factor declined
    or not asked at either time is not known, and is neither "new" nor "no longer reported"."""
    unknown = {p.title for p in (*before.not_known, *after.not_known)}
    factors = list_change([p.title for p in before.present], [p.title for p in after.present],
                          [p.title for p in before.not_known], [p.title for p in after.not_known])
    return ProtectiveChange(
        before=sum(1 for p in before.present if p.title not in unknown),
        after=sum(1 for p in after.present if p.title not in unknown),
        items=after.items - len(unknown), factors=factors,
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


def changes(points, bond_types, lookup=None):
    """Change of the latest completed screening since the first and since the previous one of its version
    (lookup: as compare's)."""
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
        since_first=compare(first, latest, bond_types, lookup),
        since_previous=compare(previous, latest, bond_types, lookup) if previous is not first else None,
        first_is_intake=first.kind == "intake",
        other_versions=others,
    )


def bond_series(points, bond_type, instrument, label=None):
    """One point per completed screening of this instrument version that screened this bond (about
    the relationship `label`, when given: a new label starts a new line)."""
    series = []
    for p in completed_in_order(points, instrument):
        bond = p.scores.bond(bond_type)
        if bond is None or (label is not None and p.label(bond_type) != label):
            continue
        series.append(SeriesPoint(
            screening_id=p.id, date=p.date, percent=bond.percent,
            stages=bond.stages_present, stages_total=len(bond.stages), signs=len(bond.signs_present),
            signs_applicable=bond.signs_applicable, flagged=bool(p.scores.flags),
            not_assessed=bool(p.scores.safety_declined),
            timepoint=p.timepoint, label=p.label(bond_type), contact=p.contact(bond_type), clinician=p.clinician,
        ))
    return series


def relationships(points, bond_type, instrument):
    """The labels this bond was screened under, in the order they first appear: one trend line each."""
    labels = []
    for p in completed_in_order(points, instrument):
        if p.scores.bond(bond_type) is not None and p.label(bond_type) not in labels:
            labels.append(p.label(bond_type))
    return labels
