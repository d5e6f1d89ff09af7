"""Everything an intake report shows, assembled as plain data; the PDF, the results page and the
plain-text summary only format it."""

from dataclasses import dataclass

from django.utils import timezone

from screening.instrument import BOND_ABUSER, BOND_V2V
from screening.instrument import NO_ANSWER_LABELS, NO_ANSWER_STATES
from screening.scoring import BondScore, ProtectiveScore

BOND_HEADINGS = {BOND_ABUSER: "Abuser-bond indicators", BOND_V2V: "Victim-to-victim indicators"}
DECLINED_LABEL = "Declined / not asked"
UNANSWERED_LABEL = "Not answered"


@dataclass(frozen=True)
class FollowUpNote:
    date: str
    by: str
    action: str
    note: str
    resolves: bool


@dataclass(frozen=True)
class Flag:
    title: str
    guidance: str
    status: str = ""  # "Open: no follow-up recorded", "Resolved 2026-01-31", …
    recurring: bool = False
    follow_ups: tuple[FollowUpNote, ...] = ()
    flag_id: str = ""


def flag_status(flag, follow_up_count):
    if flag.resolved_at:
        return f"Resolved {timezone.localtime(flag.resolved_at):%Y-%m-%d}"
    if follow_up_count:
        return f"Open: {follow_up_count} follow-up{'s' if follow_up_count != 1 else ''} recorded, not resolved"
    return "Open: no follow-up recorded"


def follow_up_notes(flag):
    return tuple(
        FollowUpNote(
            date=timezone.localtime(f.recorded_at).strftime("%Y-%m-%d"), by=f.recorded_by.get_full_name(),
            action=f.get_action_display() + (f" to {f.referral_to}" if f.referral_to else ""),
            note=f.note, resolves=f.resolves,
        )
        for f in flag.follow_ups.all()
    )


def screening_flags(screening, guidance):
    """The screening's flag records with their follow-ups; guidance: {item_key: text}."""
    records = screening.safety_flags.prefetch_related("follow_ups__recorded_by")
    return tuple(
        Flag(title=f.title, guidance=guidance.get(f.item_key, ""), status=flag_status(f, len(f.follow_ups.all())),
             recurring=f.recurring, follow_ups=follow_up_notes(f), flag_id=str(f.id))
        for f in records
    )


@dataclass(frozen=True)
class BondSection:
    bond_type: str
    heading: str
    title: str
    screened: bool
    label: str
    score: BondScore | None


@dataclass(frozen=True)
class AnswerRow:
    text: str
    answer: str
    tags: str = ""


@dataclass(frozen=True)
class AppendixSection:
    title: str
    rows: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class AmendmentNote:
    date: str
    by: str
    reason: str


@dataclass(frozen=True)
class IntakeReport:
    clinic_name: str
    client_code: str
    date: str
    clinician: str
    instrument_key: str
    instrument_title: str
    kind: str
    period: str
    disclaimer: str
    flags: tuple[Flag, ...]
    safety_declined: tuple[str, ...]
    crisis_resources: tuple[str, ...]
    bonds: tuple[BondSection, ...]
    protective: ProtectiveScore
    notes: str
    appendix: tuple[AppendixSection, ...]
    amendments: tuple[AmendmentNote, ...] = ()


def answer_label(options, value, instrument=None, reason=""):
    """An answer in words: the scale's label, or why there is none (with the reason, if one was given)."""
    if value is None:
        return UNANSWERED_LABEL
    if value in NO_ANSWER_STATES:
        label = DECLINED_LABEL if instrument is None or instrument.schema < 2 else NO_ANSWER_LABELS[value]
        return f"{label}: {reason}" if reason else label
    return next((o.label for o in options if o.value == value), str(value))


def _item_tags(instrument, item):
    tags = []
    if item.stage:
        tags.append(f"Stage {item.stage}")
    if item.sign:
        tags.append(f"Sign: {instrument.sign(item.sign).title}")
    tags += [f"Indicator: {instrument.indicator(key).title}" for key in item.indicators]
    return "; ".join(tags)


def build_intake_report(screening):
    """Report data for one completed screening, from its stored scores and its answers."""
    instrument = screening.instrument
    scores = screening.stored_scores()
    answers, reasons = screening.answers_and_reasons()
    in_scope = screening.bonds_in_scope

    bonds = tuple(
        BondSection(
            bond_type=bond.key,
            heading=BOND_HEADINGS[bond.key],
            title=bond.title,
            screened=bond.key in in_scope,
            label=screening.bond_label(bond.key),
            score=scores.bond(bond.key),
        )
        for bond in instrument.bond_types
    )

    appendix = tuple(
        AppendixSection(
            title=f"{BOND_HEADINGS[section.key] if section.is_bond else section.title}: item answers",
            rows=tuple(
                AnswerRow(item.text_for(screening.is_intake),
                          answer_label(section.item_scale(item), answers.get((section.key, item.key)), instrument,
                                       reasons.get((section.key, item.key), "")),
                          _item_tags(instrument, item) if section.is_bond else "")
                for item in section.items
            ),
        )
        for section in screening.sections()
    )

    clinic = screening.client.clinic
    when = timezone.localtime(screening.completed_at or screening.started_at)
    return IntakeReport(
        clinic_name=clinic.name,
        client_code=screening.client.code,
        date=when.strftime("%Y-%m-%d"),
        clinician=screening.clinician_names,
        instrument_key=instrument.key,
        instrument_title=instrument.title,
        kind=screening.get_kind_display(),
        period=instrument.period,
        disclaimer=instrument.disclaimer,
        flags=screening_flags(screening, {i.key: i.guidance for i in instrument.safety_items}),
        safety_declined=tuple(p.title for p in scores.safety_declined),
        crisis_resources=tuple(
            line.strip() for line in (screening.crisis_resources or clinic.crisis_resources).splitlines() if line.strip()
        ),
        bonds=bonds,
        protective=scores.protective,
        notes=screening.notes,
        appendix=appendix,
        amendments=amendment_notes(screening),
    )


def amendment_notes(screening):
    if screening.amended_at is None:
        return ()
    return tuple(
        AmendmentNote(timezone.localtime(a.amended_at).strftime("%Y-%m-%d"), a.amended_by.get_full_name(), a.reason)
        for a in screening.amendments.select_related("amended_by")
    )
