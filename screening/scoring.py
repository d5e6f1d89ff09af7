"""Scores of one administration, as pure functions over plain data (no ORM).

answers maps (section, item_key) to an int on the item's scale, or to the state of a question
without one (DECLINED, NOT_ASKED, NOT_APPLICABLE); an item with no entry is unanswered. section is
a bond type ('abuser', 'v2v'), 'safety' or 'protective'.

Rules, stated once here and printed on the results page:
- A stage, warning sign or indicator is *endorsed* when any of its items is answered at
  `endorsed_at` or above ("Sometimes" or more); *not endorsed* when its items were answered and
  none reached that; *not known* when none of its items has an answer on the scale (declined, not
  asked, does not apply). This describes what was reported; it is not a clinical cut-off and
  carries no severity label. "Not known" is never read as "not endorsed".
- A bond's total is the raw sum of its answered items, and a percentage of the maximum of those
  answered items (items without an answer are left out of both), so two bonds with different item
  sets compare. The items left out are named beside the total.
- The value of each item answered on its scale is stored with the bond (BondScore.values), so a later
  re-screen can be compared item by item without reading the answers again.
- A total is not scored when fewer than `min_answered_fraction` of the bond's items were answered.
- Every safety item answered "Yes" raises a flag; its tier comes from the instrument.
"""

from dataclasses import asdict, dataclass, fields

from screening.instrument import (  # noqa: F401 (the answer states are part of scoring's vocabulary)
    ANSWER_STATES, ANSWERED, DECLINED, NO_ANSWER_LABELS, NO_ANSWER_STATES, NOT_APPLICABLE, NOT_ASKED, PROTECTIVE,
    SAFETY,
)

ENDORSED = "endorsed"
NOT_ENDORSED = "not_endorsed"
NOT_KNOWN = "not_known"
STATE_LABELS = {ENDORSED: "endorsed", NOT_ENDORSED: "not endorsed", NOT_KNOWN: "not known"}


@dataclass(frozen=True)
class StageScore:
    number: int
    title: str
    score: int | None
    maximum: int
    answered: int
    declined: int  # items without an answer on the scale: declined, not asked or not applicable
    present: bool  # endorsed (the stored name, kept so scores filed earlier still read)
    state: str = ""  # endorsed | not_endorsed | not_known; "" in scores filed before it was stored

    @property
    def status(self):
        if self.state:
            return self.state
        if self.present:
            return ENDORSED
        return NOT_KNOWN if self.answered == 0 else NOT_ENDORSED

    @property
    def status_label(self):
        return STATE_LABELS[self.status]


@dataclass(frozen=True)
class Present:
    key: str
    title: str


@dataclass(frozen=True)
class Missing:
    """An item of a bond without an answer on its scale, and why."""

    key: str
    text: str
    state: str
    label: str = ""  # as the instrument words it (tbsc-1: "Declined / not asked")

    @property
    def state_label(self):
        return self.label or NO_ANSWER_LABELS.get(self.state, "Not answered")


@dataclass(frozen=True)
class BondScore:
    bond_type: str
    title: str
    items: int
    answered: int
    declined: int  # declined, not asked or not applicable
    unanswered: int
    raw: int | None
    maximum: int | None
    percent: float | None
    scored: bool
    not_scored_reason: str
    stages: tuple[StageScore, ...]
    signs_present: tuple[Present, ...]  # endorsed
    signs_applicable: int
    indicators_present: tuple[Present, ...]  # endorsed
    indicators_applicable: int
    signs_not_known: tuple[Present, ...] = ()
    indicators_not_known: tuple[Present, ...] = ()
    missing: tuple[Missing, ...] = ()
    # (item_key, value) of each item answered on its scale, in the instrument's order: what a judgement of
    # reliable change sums (screening.reliability). Empty in scores filed before it was stored and not
    # filled in since (migration screening 0014 fills it in from the answers).
    values: tuple[tuple[str, int], ...] = ()

    @property
    def value_map(self):
        """{item_key: value} of the items answered on their scale."""
        return dict(self.values)

    @property
    def stages_present(self):
        return sum(1 for stage in self.stages if stage.present)

    @property
    def stages_not_known(self):
        return tuple(stage for stage in self.stages if stage.status == NOT_KNOWN)


@dataclass(frozen=True)
class SafetyFlag:
    key: str
    flag: str
    guidance: str
    tier: str = "act_now"


@dataclass(frozen=True)
class ProtectiveScore:
    items: int
    answered: int
    declined: int
    present: tuple[Present, ...]
    context: tuple[Present, ...] = ()  # answered "Yes" but recorded as context, not counted
    not_known: tuple[Present, ...] = ()  # counted factors declined or not asked: neither present nor absent

    @property
    def count(self):
        return len(self.present)


@dataclass(frozen=True)
class ScreeningScores:
    instrument: str
    bonds: tuple[BondScore, ...]
    flags: tuple[SafetyFlag, ...]
    safety_declined: tuple[Present, ...]  # safety questions declined or not asked
    protective: ProtectiveScore

    def bond(self, bond_type):
        return next((b for b in self.bonds if b.bond_type == bond_type), None)

    def to_dict(self):
        return asdict(self)


def is_answered(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _has_no_answer_state(value):
    return value in NO_ANSWER_STATES


def _state(items, values, endorsed):
    if any(endorsed(item) for item in items):
        return ENDORSED
    if any(is_answered(values[item.key]) for item in items):
        return NOT_ENDORSED
    return NOT_KNOWN


def score_bond(instrument, bond_type, answers, intake=True):
    section = instrument.section(bond_type, intake)
    items = section.items
    no_answer_labels = dict(instrument.no_answer_options(bond_type))
    values = {item.key: answers.get((bond_type, item.key)) for item in items}
    answered = [item for item in items if is_answered(values[item.key])]
    declined = sum(1 for value in values.values() if _has_no_answer_state(value))

    def top(item):
        return max(option.value for option in section.item_scale(item))

    def endorsed(item):
        return is_answered(values[item.key]) and values[item.key] >= instrument.endorsed_at

    stages = []
    for stage in instrument.stages:
        stage_items = [item for item in items if item.stage == stage.number]
        stage_answered = [item for item in stage_items if is_answered(values[item.key])]
        state = _state(stage_items, values, endorsed)
        stages.append(StageScore(
            number=stage.number,
            title=stage.title,
            score=sum(values[i.key] for i in stage_answered) if stage_answered else None,
            maximum=sum(top(i) for i in stage_answered),
            answered=len(stage_answered),
            declined=sum(1 for i in stage_items if _has_no_answer_state(values[i.key])),
            present=state == ENDORSED,
            state=state,
        ))

    def by_state(groups, wanted):
        return tuple(Present(key, title) for key, title, group in groups if _state(group, values, endorsed) == wanted)

    signs = [(s.key, s.title, [i for i in items if i.sign == s.key]) for s in instrument.signs_for_bond(bond_type)]
    indicators = [(d.key, d.title, [i for i in items if d.key in i.indicators])
                  for d in instrument.indicators_for_bond(bond_type)]

    needed = instrument.min_answered_fraction * len(items)
    scored = len(answered) >= needed and len(answered) > 0
    reason = "" if scored else (
        f"Not scored: {len(answered)} of {len(items)} items answered; "
        f"at least {instrument.min_answered_fraction:.0%} are needed for a total."
    )
    raw = sum(values[item.key] for item in answered) if scored else None
    maximum = sum(top(item) for item in answered) if scored else None
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
        signs_present=by_state(signs, ENDORSED),
        signs_applicable=len(signs),
        indicators_present=by_state(indicators, ENDORSED),
        indicators_applicable=len(indicators),
        signs_not_known=by_state(signs, NOT_KNOWN),
        indicators_not_known=by_state(indicators, NOT_KNOWN),
        missing=tuple(
            Missing(item.key, item.text, values[item.key], no_answer_labels.get(values[item.key], ""))
            for item in items if _has_no_answer_state(values[item.key])
        ),
        values=tuple((item.key, values[item.key]) for item in answered),
    )


def safety_flags(instrument, answers):
    return tuple(
        SafetyFlag(item.key, item.flag, item.guidance, item.tier)
        for item in instrument.safety_items
        if answers.get((SAFETY, item.key)) == 1
    )


def safety_not_assessed(instrument, answers):
    """The safety questions asked of this client (conditions met) without a Yes or No answer."""
    return tuple(
        item for item in instrument.safety_items
        if instrument.is_asked(item, answers) and not is_answered(answers.get((SAFETY, item.key)))
    )


def score_protective(instrument, answers):
    counted = [item for item in instrument.protective_items if item.counted]
    values = {item.key: answers.get((PROTECTIVE, item.key)) for item in counted}
    return ProtectiveScore(
        items=len(values),
        answered=sum(1 for v in values.values() if is_answered(v)),
        declined=sum(1 for v in values.values() if _has_no_answer_state(v)),
        present=tuple(Present(item.key, item.title) for item in counted if values[item.key] == 1),
        not_known=tuple(Present(item.key, item.title) for item in counted if _has_no_answer_state(values[item.key])),
        context=tuple(
            Present(item.key, item.title) for item in instrument.protective_items
            if not item.counted and answers.get((PROTECTIVE, item.key)) == 1
        ),
    )


def score_screening(instrument, bonds_in_scope, answers, intake=True):
    bonds = [section.key for section in instrument.sections(bonds_in_scope, intake) if section.is_bond]
    return ScreeningScores(
        instrument=instrument.key,
        bonds=tuple(score_bond(instrument, bond, answers, intake) for bond in bonds),
        flags=safety_flags(instrument, answers),
        safety_declined=tuple(
            Present(item.key, item.flag) for item in instrument.safety_items
            if _has_no_answer_state(answers.get((SAFETY, item.key)))
        ),
        protective=score_protective(instrument, answers),
    )


def unanswered_items(instrument, bonds_in_scope, answers, intake=True):
    """(section, item_key) of every item asked that has neither an answer nor a state, in form order.
    A conditional safety question none of whose conditions is "Yes" is not asked."""
    return [
        (section.key, item.key)
        for section in instrument.sections(bonds_in_scope, intake) for item in section.items
        if (section.key, item.key) not in answers and (section.key != SAFETY or instrument.is_asked(item, answers))
    ]


def _build(cls, row, **nested):
    """A dataclass from stored JSON, ignoring keys it does not know and defaulting those it lacks."""
    known = {f.name for f in fields(cls)}
    return cls(**{**{k: v for k, v in row.items() if k in known}, **nested})


def scores_from_dict(data):
    """Rebuild stored scores (the JSON written at completion) into the dataclasses above; scores
    filed by an earlier version of this code lack the newer fields, which take their defaults."""
    def present(rows):
        return tuple(Present(**row) for row in rows or ())

    bonds = [
        _build(
            BondScore, b,
            stages=tuple(_build(StageScore, s) for s in b["stages"]),
            signs_present=present(b["signs_present"]),
            indicators_present=present(b["indicators_present"]),
            signs_not_known=present(b.get("signs_not_known")),
            indicators_not_known=present(b.get("indicators_not_known")),
            missing=tuple(Missing(**m) for m in b.get("missing") or ()),
            values=tuple((key, value) for key, value in b.get("values") or ()),
        )
        for b in data["bonds"]
    ]
    protective = data["protective"]
    return ScreeningScores(
        instrument=data["instrument"],
        bonds=tuple(bonds),
        flags=tuple(_build(SafetyFlag, f) for f in data["flags"]),
        safety_declined=present(data["safety_declined"]),
        protective=_build(ProtectiveScore, protective, present=present(protective["present"]),
                          context=present(protective.get("context")), not_known=present(protective.get("not_known"))),
    )
