"""The checklist instrument: a published, versioned definition kept as JSON beside this file.

A published file never changes (tests pin its hash); a new wording or item is a new key (tbsc-2).
The loaded instrument is plain frozen data, so scoring, forms and reports can share it.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"
# Where load_instrument looks, in order: the published versions, then any a test suite adds.
INSTRUMENT_DIRS = [INSTRUMENT_DIR]
CURRENT_KEY = "tbsc-2"  # new screenings; drafts keep the version they were started with

BOND_ABUSER = "abuser"
BOND_V2V = "v2v"
BOND_TYPES = (BOND_ABUSER, BOND_V2V)
SAFETY = "safety"
PROTECTIVE = "protective"
SECTION_KEYS = (*BOND_TYPES, SAFETY, PROTECTIVE)
SECTION_TITLES = {SAFETY: "Safety", PROTECTIVE: "Protective factors"}

# A question without an answer on its scale says why: the client declined, it was not asked, or
# (bond items) it does not apply to this relationship. None of these is "No" or "absent".
ANSWERED = "answered"
DECLINED = "declined"
NOT_ASKED = "not_asked"
NOT_APPLICABLE = "not_applicable"
NO_ANSWER_STATES = (DECLINED, NOT_ASKED, NOT_APPLICABLE)
ANSWER_STATES = (ANSWERED, *NO_ANSWER_STATES)
NO_ANSWER_LABELS = {DECLINED: "Client declined", NOT_ASKED: "Not asked", NOT_APPLICABLE: "Does not apply"}
SCHEMA_1_DECLINED_LABEL = "Declined / not asked"  # tbsc-1 had one option for both


@dataclass(frozen=True)
class ScaleOption:
    value: int
    label: str


@dataclass(frozen=True)
class BondType:
    key: str
    title: str
    question: str
    label_hint: str


@dataclass(frozen=True)
class Stage:
    number: int
    key: str
    title: str


@dataclass(frozen=True)
class Sign:
    key: str
    title: str


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    bond_type: str


ACT_NOW = "act_now"
FOLLOW_UP = "follow_up"
TIERS = {ACT_NOW: "Act this session", FOLLOW_UP: "Follow up"}
# tbsc-1 (schema 1) has no tiers in its published file: these of its items are followed up at the
# next session; the others ask for action in this one.
SCHEMA_1_FOLLOW_UP = frozenset({"safety-substance-use", "safety-severe-symptoms"})


@dataclass(frozen=True)
class BondItem:
    key: str
    text: str
    stage: int | None
    sign: str | None
    indicators: tuple[str, ...]
    bond_types: tuple[str, ...]
    source: str
    scale: tuple[ScaleOption, ...] = ()  # the instrument's frequency scale unless the item has its own
    intake_only: bool = False

    def text_for(self, intake):
        return self.text


@dataclass(frozen=True)
class SafetyItem:
    key: str
    text: str
    flag: str
    guidance: str  # to the clinician: what to do
    source: str
    tier: str = ACT_NOW
    text_intake: str = ""  # the wording at intake, where the time frame differs ("in the past year")
    prompt: str = ""  # a note to the clinician on how to ask
    ask_if_any: tuple[str, ...] = ()  # asked only when one of these is answered "Yes"
    scale: tuple[ScaleOption, ...] = ()
    intake_only: bool = False

    @property
    def tier_label(self):
        return TIERS[self.tier]

    def text_for(self, intake):
        return self.text_intake if intake and self.text_intake else self.text


@dataclass(frozen=True)
class ProtectiveItem:
    key: str
    text: str
    title: str
    source: str
    counted: bool = True  # False: context recorded beside the factors, not counted as one
    scale: tuple[ScaleOption, ...] = ()
    intake_only: bool = False

    def text_for(self, intake):
        return self.text


@dataclass(frozen=True)
class Section:
    """One part of an administration: a bond's items, the safety items or the protective factors."""

    key: str
    title: str
    items: tuple
    scale: tuple[ScaleOption, ...]  # the section's own; an item may have another (item_scale)

    @property
    def is_bond(self):
        return self.key in BOND_TYPES

    @property
    def item_keys(self):
        return {item.key for item in self.items}

    def item_scale(self, item):
        return item.scale or self.scale


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    published: str
    source: str
    disclaimer: str
    period: str
    endorsed_at: int
    min_answered_fraction: float
    bond_types: tuple[BondType, ...]
    frequency: tuple[ScaleOption, ...]
    yes_no: tuple[ScaleOption, ...]
    stages: tuple[Stage, ...]
    signs: tuple[Sign, ...]
    indicators: tuple[Indicator, ...]
    bond_items: tuple[BondItem, ...]
    safety_items: tuple[SafetyItem, ...]
    protective_items: tuple[ProtectiveItem, ...]
    schema: int = 1
    section_order: tuple[str, ...] = ("bonds", SAFETY, PROTECTIVE)

    def bond_type(self, key):
        return next(b for b in self.bond_types if b.key == key)

    def items_for_bond(self, bond_type, intake=True):
        """The bond's items; at a re-screen (intake=False) without those asked only at intake."""
        return tuple(
            item for item in self.bond_items if bond_type in item.bond_types and (intake or not item.intake_only)
        )

    def signs_for_bond(self, bond_type):
        carried = {item.sign for item in self.items_for_bond(bond_type) if item.sign}
        return tuple(sign for sign in self.signs if sign.key in carried)

    def indicators_for_bond(self, bond_type):
        return tuple(ind for ind in self.indicators if ind.bond_type == bond_type)

    def stage(self, number):
        return next(s for s in self.stages if s.number == number)

    def sign(self, key):
        return next(s for s in self.signs if s.key == key)

    def indicator(self, key):
        return next(i for i in self.indicators if i.key == key)

    @property
    def max_frequency(self):
        return max(option.value for option in self.frequency)

    def section(self, key, intake=True):
        """The section 'abuser', 'v2v', 'safety' or 'protective', with its title, items and scale;
        at a re-screen (intake=False) without the items asked only at intake."""
        if key in BOND_TYPES:
            return Section(key, self.bond_type(key).title, self.items_for_bond(key, intake), self.frequency)
        if key == SAFETY:
            return Section(key, SECTION_TITLES[key], self.safety_items, self.yes_no)
        if key == PROTECTIVE:
            return Section(key, SECTION_TITLES[key], self.protective_items, self.yes_no)
        raise KeyError(key)

    def sections(self, bonds_in_scope=BOND_TYPES, intake=True):
        """The sections of an administration in the order the instrument asks them ("bonds" stands for
        each bond in scope, in the instrument's order of bond types)."""
        bonds = [b.key for b in self.bond_types if b.key in set(bonds_in_scope)]
        keys = [key for part in self.section_order for key in (bonds if part == "bonds" else [part])]
        return tuple(self.section(key, intake) for key in keys)

    def no_answer_options(self, section_key):
        """What a question without an answer on its scale may say, as (state, label)."""
        if self.schema < 2:
            return ((DECLINED, SCHEMA_1_DECLINED_LABEL),)
        options = [(DECLINED, NO_ANSWER_LABELS[DECLINED]), (NOT_ASKED, NO_ANSWER_LABELS[NOT_ASKED])]
        if section_key in BOND_TYPES:
            options.append((NOT_APPLICABLE, NO_ANSWER_LABELS[NOT_APPLICABLE]))
        return tuple(options)

    def needs_reason(self, section_key, state):
        """A safety question declined or not asked needs a short reason (from schema 2 on)."""
        return self.schema >= 2 and section_key == SAFETY and state in (DECLINED, NOT_ASKED)

    def is_asked(self, item, answers, section_key=SAFETY):
        """False for a conditional question none of whose conditions was answered "Yes"."""
        conditions = getattr(item, "ask_if_any", ())
        return not conditions or any(answers.get((section_key, key)) == 1 for key in conditions)

    def item_keys(self, section):
        """All valid item keys of a section."""
        return self.section(section).item_keys

    def item_text(self, key):
        for group in (self.bond_items, self.safety_items, self.protective_items):
            for item in group:
                if item.key == key:
                    return item.text
        raise KeyError(key)


@dataclass(frozen=True)
class ClientItemWording:
    text: str
    text_intake: str = ""
    note: str = ""  # a short hint under the question ("Answer this if you said Yes above")

    def text_for(self, intake):
        return self.text_intake if intake and self.text_intake else self.text


@dataclass(frozen=True)
class ClientWording:
    """What a client answering on their own sees: the instrument's items in the first person, plain
    and short (client-wording/<key>.json, published beside the instrument and hash-pinned like it)."""

    instrument: str
    welcome: tuple[str, ...]
    section_titles: dict
    section_intros: dict
    no_answer: dict  # state -> label ("declined", "not_applicable")
    items: dict  # item key -> ClientItemWording

    def item(self, key):
        return self.items[key]


CLIENT_WORDING_DIR = INSTRUMENT_DIR / "client-wording"


@cache
def load_client_wording(key):
    """The client wording of instrument `key`, or None when it has none (no self-report for it)."""
    path = CLIENT_WORDING_DIR / f"{key}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    wording = ClientWording(
        instrument=data["instrument"],
        welcome=tuple(data["welcome"]),
        section_titles={k: v["title"] for k, v in data["sections"].items()},
        section_intros={k: v["intro"] for k, v in data["sections"].items()},
        no_answer=dict(data["no_answer"]),
        items={k: ClientItemWording(**v) for k, v in data["items"].items()},
    )
    validate_client_wording(load_instrument(key), wording)
    return wording


def validate_client_wording(instrument, wording):
    """Every item of the instrument has client wording, and nothing else does; an item with its own
    intake wording has one for the client too."""
    keys = {i.key for i in instrument.bond_items + instrument.safety_items + instrument.protective_items}
    problems = []
    if wording.instrument != instrument.key:
        problems.append(f"written for {wording.instrument!r}")
    if set(wording.items) != keys:
        problems.append(f"items without wording: {sorted(keys - set(wording.items))}; "
                        f"wording for no item: {sorted(set(wording.items) - keys)}")
    for item in instrument.safety_items:
        if item.text_intake and item.key in wording.items and not wording.items[item.key].text_intake:
            problems.append(f"{item.key}: the instrument words it differently at intake; the client wording must too")
    if set(wording.section_titles) != set(SECTION_KEYS):
        problems.append(f"sections must be exactly {SECTION_KEYS}")
    if set(wording.no_answer) != {DECLINED, NOT_APPLICABLE}:
        problems.append("no_answer must word 'declined' and 'not_applicable'")
    if problems:
        raise ValueError(f"Client wording of {instrument.key} is invalid: " + "; ".join(problems))


def instrument_path(key):
    for folder in INSTRUMENT_DIRS:
        if (folder / f"{key}.json").is_file():
            return folder / f"{key}.json"
    return INSTRUMENT_DIR / f"{key}.json"


def available_keys():
    """The published versions."""
    return sorted(path.stem for path in INSTRUMENT_DIR.glob("*.json"))


@cache
def load_instrument(key=CURRENT_KEY):
    path = instrument_path(key)
    if not path.is_file():
        raise LookupError(f"No instrument {key!r} in {', '.join(map(str, INSTRUMENT_DIRS))}")
    return parse_instrument(json.loads(path.read_text(encoding="utf-8")))


def parse_instrument(data):
    options = lambda rows: tuple(ScaleOption(r["value"], r["label"]) for r in rows)  # noqa: E731
    scales = {name: options(rows) for name, rows in data["scales"].items()}

    def item_fields(row, *names):
        fields = {name: row[name] for name in names if name in row}
        if "scale" in row:
            fields["scale"] = scales[row["scale"]]
        if "ask_if_any" in row:
            fields["ask_if_any"] = tuple(row["ask_if_any"])
        for flag in ("intake_only", "counted"):
            if flag in row:
                fields[flag] = bool(row[flag])
        return fields

    instrument = Instrument(
        key=data["key"],
        title=data["title"],
        published=data["published"],
        source=data["source"],
        disclaimer=data["disclaimer"],
        period=data["period"],
        endorsed_at=data["scoring"]["endorsed_at"],
        min_answered_fraction=data["scoring"]["min_answered_fraction"],
        bond_types=tuple(BondType(**b) for b in data["bond_types"]),
        frequency=options(data["scales"]["frequency"]),
        yes_no=options(data["scales"]["yes_no"]),
        stages=tuple(Stage(**s) for s in data["stages"]),
        signs=tuple(Sign(**s) for s in data["warning_signs"]),
        indicators=tuple(Indicator(**i) for i in data["indicators"]),
        bond_items=tuple(
            BondItem(
                key=i["key"], text=i["text"], stage=i.get("stage"), sign=i.get("sign"),
                indicators=tuple(i.get("indicators") or ()), bond_types=tuple(i["bond_types"]),
                source=i["source"], **item_fields(i),
            )
            for i in data["bond_items"]
        ),
        safety_items=tuple(
            SafetyItem(**{
                **({"tier": FOLLOW_UP if i["key"] in SCHEMA_1_FOLLOW_UP else ACT_NOW} if data.get("schema", 1) < 2 else {}),
                **item_fields(i, "key", "text", "flag", "guidance", "source", "tier", "text_intake", "prompt"),
            })
            for i in data["safety_items"]
        ),
        protective_items=tuple(
            ProtectiveItem(**item_fields(i, "key", "text", "title", "source")) for i in data["protective_items"]
        ),
        schema=data.get("schema", 1),
        section_order=tuple(data.get("section_order", ("bonds", SAFETY, PROTECTIVE))),
    )
    validate(instrument)
    return instrument


def validate(instrument):
    """Refuse an instrument whose cross-references do not hold; a broken file must not load."""
    problems = []
    keys = [i.key for i in instrument.bond_items + instrument.safety_items + instrument.protective_items]
    if len(keys) != len(set(keys)):
        problems.append("item keys are not unique")
    if {b.key for b in instrument.bond_types} != set(BOND_TYPES):
        problems.append(f"bond types must be exactly {BOND_TYPES}")
    stage_numbers = {s.number for s in instrument.stages}
    sign_keys = {s.key for s in instrument.signs}
    indicators = {i.key: i for i in instrument.indicators}
    for item in instrument.bond_items:
        if item.stage is not None and item.stage not in stage_numbers:
            problems.append(f"{item.key}: unknown stage {item.stage}")
        if item.sign is not None and item.sign not in sign_keys:
            problems.append(f"{item.key}: unknown sign {item.sign}")
        for ind in item.indicators:
            if ind not in indicators:
                problems.append(f"{item.key}: unknown indicator {ind}")
            elif indicators[ind].bond_type not in item.bond_types:
                problems.append(f"{item.key}: indicator {ind} is for another bond type")
        if not set(item.bond_types) <= set(BOND_TYPES) or not item.bond_types:
            problems.append(f"{item.key}: bad bond types {item.bond_types}")
        if item.stage is None and item.sign is None and not item.indicators:
            problems.append(f"{item.key}: carries no stage, sign or indicator")
    for bond in BOND_TYPES:
        covered = {i.stage for i in instrument.items_for_bond(bond)}
        if not stage_numbers <= covered:
            problems.append(f"{bond}: stages {sorted(stage_numbers - covered)} have no item")
        carried = {ind for i in instrument.items_for_bond(bond) for ind in i.indicators}
        missing = {i.key for i in instrument.indicators_for_bond(bond)} - carried
        if missing:
            problems.append(f"{bond}: indicators {sorted(missing)} have no item")
    signs_used = [i.sign for i in instrument.bond_items if i.sign]
    if sorted(signs_used) != sorted(sign_keys):
        problems.append("each warning sign must be carried by exactly one item")
    if instrument.schema >= 2:
        problems += _validate_schema_2(instrument, stage_numbers)
    if problems:
        raise ValueError(f"Instrument {instrument.key} is invalid: " + "; ".join(problems))


def _validate_schema_2(instrument, stage_numbers):
    """What version 2 adds: no item counted twice, safety tiers and conditions, the section order."""
    problems = []
    for item in instrument.bond_items:
        if item.sign and item.indicators:
            problems.append(f"{item.key}: a warning sign and an indicator would count one answer twice")
        for key in item.indicators:
            if item.bond_types != (instrument.indicator(key).bond_type,):
                problems.append(f"{item.key}: carries {key}, so it must be asked for that indicator's bond only")
    safety_keys = [i.key for i in instrument.safety_items]
    for item in instrument.safety_items:
        if item.tier not in TIERS:
            problems.append(f"{item.key}: unknown tier {item.tier!r}")
        for key in item.ask_if_any:
            if key not in safety_keys or safety_keys.index(key) > safety_keys.index(item.key):
                problems.append(f"{item.key}: asked if {key!r}, which is not an earlier safety item")
    for bond in BOND_TYPES:
        covered = {i.stage for i in instrument.items_for_bond(bond, intake=False)}
        if not stage_numbers <= covered:
            problems.append(f"{bond}: stages {sorted(stage_numbers - covered)} have no item at a re-screen")
    if sorted(instrument.section_order) != sorted(("bonds", SAFETY, PROTECTIVE)):
        problems.append(f"section_order must name bonds, safety and protective once: {instrument.section_order}")
    return problems
