"""Scores of one administration, as pure functions over plain data (no ORM).

answers maps (section, item_key) to an int on the item's scale or DECLINED; an item with no entry
is unanswered. section is a bond type ('abuser', 'v2v'), 'safety' or 'protective'.

Rules, stated once here and printed on the results page:
- A stage, warning sign or indicator is *present* when any of its items is answered at
  `endorsed_at` or above ("Sometimes" or more). This describes what was reported; it is not a
  clinical cut-off and carries no severity label.
- A bond's total is the raw sum of its answered items, and a percentage of the maximum of those
  answered items (declined items are left out of both), so two bonds with different item sets compare.
- A total is not scored when fewer than `min_answered_fraction` of the bond's items were answered.
- Every safety item answered "Yes" raises an urgent flag.
"""

from dataclasses import asdict, dataclass

from screening.instrument import (  # noqa: F401 (the answer states are part of scoring's vocabulary)
    ANSWER_STATES, ANSWERED, DECLINED, NO_ANSWER_STATES, NOT_APPLICABLE, NOT_ASKED, PROTECTIVE, SAFETY,
)


@dataclass(frozen=True)
class StageScore:
    number: int
    title: str
    score: int | None
    maximum: int
    answered: int
    declined: int
    present: bool


@dataclass(frozen=True)
class Present:
    key: str
    title: str


@dataclass(frozen=True)
class BondScore:
    bond_type: str
    title: str
    items: int
    answered: int
    declined: int
    unanswered: int
    raw: int | None
    maximum: int | None
    percent: float | None
    scored: bool
    not_scored_reason: str
    stages: tuple[StageScore, ...]
    signs_present: tuple[Present, ...]
    signs_applicable: int
    indicators_present: tuple[Present, ...]
    indicators_applicable: int

    @property
    def stages_present(self):
        return sum(1 for stage in self.stages if stage.present)


@dataclass(frozen=True)
class SafetyFlag:
    key: str
    flag: str
    guidance: str


@dataclass(frozen=True)
class ProtectiveScore:
    items: int
    answered: int
    declined: int
    present: tuple[Present, ...]

    @property
    def count(self):
        return len(self.present)


@dataclass(frozen=True)
class ScreeningScores:
    instrument: str
    bonds: tuple[BondScore, ...]
    flags: tuple[SafetyFlag, ...]
    safety_declined: tuple[Present, ...]
    protective: ProtectiveScore

    def bond(self, bond_type):
        return next((b for b in self.bonds if b.bond_type == bond_type), None)

    def to_dict(self):
        return asdict(self)


def _is_answered(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_unanswered_with_reason(value):
    return value in NO_ANSWER_STATES


def score_bond(instrument, bond_type, answers):
    items = instrument.items_for_bond(bond_type)
    values = {item.key: answers.get((bond_type, item.key)) for item in items}
    answered = [key for key, value in values.items() if _is_answered(value)]
    declined = sum(1 for value in values.values() if _is_unanswered_with_reason(value))
    top = instrument.max_frequency

    def present(item):
        return _is_answered(values[item.key]) and values[item.key] >= instrument.endorsed_at

    stages = []
    for stage in instrument.stages:
        stage_items = [item for item in items if item.stage == stage.number]
        stage_answered = [item for item in stage_items if _is_answered(values[item.key])]
        stages.append(StageScore(
            number=stage.number,
            title=stage.title,
            score=sum(values[i.key] for i in stage_answered) if stage_answered else None,
            maximum=top * len(stage_answered),
            answered=len(stage_answered),
            declined=sum(1 for i in stage_items if _is_unanswered_with_reason(values[i.key])),
            present=any(present(i) for i in stage_items),
        ))

    signs_present = tuple(
        Present(sign.key, sign.title)
        for sign in instrument.signs_for_bond(bond_type)
        if any(present(i) for i in items if i.sign == sign.key)
    )
    indicators_present = tuple(
        Present(ind.key, ind.title)
        for ind in instrument.indicators_for_bond(bond_type)
        if any(present(i) for i in items if ind.key in i.indicators)
    )

    needed = instrument.min_answered_fraction * len(items)
    scored = len(answered) >= needed and len(answered) > 0
    reason = "" if scored else (
        f"Not scored: {len(answered)} of {len(items)} items answered; "
        f"at least {instrument.min_answered_fraction:.0%} are needed for a total."
    )
    raw = sum(values[key] for key in answered) if scored else None
    maximum = top * len(answered) if scored else None
    return BondScore(
        bond_type=bond_type,
        title=instrument.bond_type(bond_type).title,
        items=len(items),
        answered=len(answered),
        declined=declined,
        unanswered=len(items) - len(answered) - declined,
        raw=raw,
        maximum=maximum,
        percent=round(100 * raw / maximum, 1) if scored else None,
        scored=scored,
        not_scored_reason=reason,
        stages=tuple(stages),
        signs_present=signs_present,
        signs_applicable=len(instrument.signs_for_bond(bond_type)),
        indicators_present=indicators_present,
        indicators_applicable=len(instrument.indicators_for_bond(bond_type)),
    )


def safety_flags(instrument, answers):
    return tuple(
        SafetyFlag(item.key, item.flag, item.guidance)
        for item in instrument.safety_items
        if answers.get((SAFETY, item.key)) == 1
    )


def score_protective(instrument, answers):
    values = {item.key: answers.get((PROTECTIVE, item.key)) for item in instrument.protective_items}
    return ProtectiveScore(
        items=len(values),
        answered=sum(1 for v in values.values() if _is_answered(v)),
        declined=sum(1 for v in values.values() if _is_unanswered_with_reason(v)),
        present=tuple(
            Present(item.key, item.title) for item in instrument.protective_items if values[item.key] == 1
        ),
    )


def score_screening(instrument, bonds_in_scope, answers):
    bonds = [section.key for section in instrument.sections(bonds_in_scope) if section.is_bond]
    return ScreeningScores(
        instrument=instrument.key,
        bonds=tuple(score_bond(instrument, bond, answers) for bond in bonds),
        flags=safety_flags(instrument, answers),
        safety_declined=tuple(
            Present(item.key, item.flag) for item in instrument.safety_items
            if _is_unanswered_with_reason(answers.get((SAFETY, item.key)))
        ),
        protective=score_protective(instrument, answers),
    )


def unanswered_items(instrument, bonds_in_scope, answers):
    """(section, item_key) of every item that is neither answered nor declined, in form order."""
    return [
        (section.key, item.key)
        for section in instrument.sections(bonds_in_scope) for item in section.items
        if (section.key, item.key) not in answers
    ]


def scores_from_dict(data):
    """Rebuild stored scores (the JSON written at completion) into the dataclasses above."""
    def present(rows):
        return tuple(Present(**row) for row in rows)

    bonds = []
    for b in data["bonds"]:
        b = dict(b)
        b["stages"] = tuple(StageScore(**s) for s in b["stages"])
        b["signs_present"] = present(b["signs_present"])
        b["indicators_present"] = present(b["indicators_present"])
        bonds.append(BondScore(**b))
    protective = dict(data["protective"])
    protective["present"] = present(protective["present"])
    return ScreeningScores(
        instrument=data["instrument"],
        bonds=tuple(bonds),
        flags=tuple(SafetyFlag(**f) for f in data["flags"]),
        safety_declined=present(data["safety_declined"]),
        protective=ProtectiveScore(**protective),
    )
