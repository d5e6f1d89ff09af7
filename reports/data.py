"""Everything an intake report shows, assembled as plain data; the PDF, the results page and the
plain-text summary only format it."""

import json
from dataclasses import dataclass

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from screening.estimates import EstimateLookup
from screening.flags import flag_guidance
from screening.history import bond_titles, points, timepoints
from screening.progress import compare
from screening.instrument import ACT_NOW, BOND_ABUSER, BOND_V2V, NO_ANSWER_LABELS, NO_ANSWER_STATES, SAFETY, TIERS
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
    tier: str = ACT_NOW
    detail: str = ""  # "not fully assessed": which questions, and why
    raised: str = ""  # date the flag was raised
    age_days: int | None = None
    last_follow_up: str = ""  # "2026-02-03 Safety plan made or updated", or ""
    origin: str = ""  # carried-over flags: "intake screening 2026-01-05", "a discarded draft"
    kind: str = "disclosure"  # or "not_assessed"

    @property
    def tier_label(self):
        return TIERS.get(self.tier, self.tier)

    @property
    def is_open(self):
        return self.status.startswith("Open")


NO_FLAGS = "No safety flags: every safety question was answered “No” and no flag is open from an earlier screening."


def safety_headline(all_no, current, carried, not_assessed):
    """The first words of every report's safety section. "No safety flags" only when every safety
    question asked was answered "No" and nothing is open from before: unasked is not "No"."""
    if all_no and not current and not carried and not not_assessed:
        return NO_FLAGS
    parts = []
    disclosed = [f for f in current if f.kind == "disclosure"]
    if disclosed:
        tiers = [f"{sum(1 for f in disclosed if f.tier == tier)} {TIERS[tier].lower()}" for tier in TIERS
                 if any(f.tier == tier for f in disclosed)]
        parts.append(f"Safety flags raised in this screening: {', '.join(tiers)}.")
    if not_assessed:
        parts.append(f"Safety not fully assessed: {len(not_assessed)} question{'s' if len(not_assessed) != 1 else ''} "
                     "without a “Yes” or “No” answer.")
    if carried:
        parts.append(f"Still open from earlier: {len(carried)} flag{'s' if len(carried) != 1 else ''}.")
    if not parts:
        parts.append("Safety questions were not all answered “No”; see below.")
    return " ".join(parts)


def flag_status(flag, follow_up_count):
    if flag.withdrawn_at:
        return f"Withdrawn {timezone.localtime(flag.withdrawn_at):%Y-%m-%d}: entered in error"
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


def _origin(flag):
    if flag.screening_id is None:
        return "a draft that was discarded" + (
            f" on {timezone.localtime(flag.draft_discarded_at):%Y-%m-%d}" if flag.draft_discarded_at else "")
    when = timezone.localtime(flag.screening.completed_at or flag.raised_at)
    state = "" if flag.screening.completed_at else "unfinished "
    return f"{state}{flag.screening.get_kind_display().lower()} screening of {when:%Y-%m-%d}"


def report_flag(flag, now, carried=False):
    """One flag record as report data (follow-ups prefetched)."""
    notes = follow_up_notes(flag)
    last = notes[-1] if notes else None
    return Flag(
        title=flag.title, guidance=flag_guidance(flag), status=flag_status(flag, len(notes)),
        recurring=flag.recurring, follow_ups=notes, flag_id=str(flag.id), tier=flag.tier, detail=flag.detail,
        raised=timezone.localtime(flag.raised_at).strftime("%Y-%m-%d"),
        # In days of the calendar, as the "raised" date beside it is: raised yesterday evening is 1 day ago.
        age_days=(timezone.localdate(now) - timezone.localdate(flag.raised_at)).days,
        last_follow_up=f"{last.date} {last.action}" if last else "",
        origin=_origin(flag) if carried else "",
        kind=flag.kind,
    )


def _in_tier_order(flags):
    return tuple(sorted(flags, key=lambda f: (f.tier, f.raised)))


def safety_flags_of(screening, now):
    """(this screening's flags, flags carried over), each by tier, from one query.

    This screening's: those raised in it, except any withdrawn as entered in error. Carried over:
    the client's flags still open now from a screening completed before this one (whenever the
    flag was raised: an amendment may raise one later), or from a draft discarded before it was
    completed: safety follows the client until followed up.
    """
    completed = screening.completed_at or now
    mine = Q(screening=screening, withdrawn_at__isnull=True)
    earlier = Q(resolved_at__isnull=True, withdrawn_at__isnull=True) & ~Q(screening=screening) & (
        Q(screening__completed_at__lt=completed) | Q(screening__isnull=True, raised_at__lt=completed)
    )
    records = (
        screening.client.safety_flags.filter(mine | earlier)
        .select_related("screening").prefetch_related("follow_ups__recorded_by")
    )
    current, carried = [], []
    for flag in records:
        if flag.screening_id == screening.id:
            current.append(report_flag(flag, now))
        else:
            carried.append(report_flag(flag, now, carried=True))
    return _in_tier_order(current), _in_tier_order(carried)


def not_assessed_questions(instrument, answers, reasons):
    """The safety questions asked that have no "Yes" or "No", with why (and the reason given)."""
    rows = []
    for item in instrument.safety_items:
        value = answers.get((SAFETY, item.key))
        if not instrument.is_asked(item, answers) or value in (0, 1):
            continue
        why = answer_label((), value, instrument, reasons.get((SAFETY, item.key), ""))
        rows.append(f"{item.flag}: {why}")
    return tuple(rows)


def all_safety_no(instrument, answers):
    asked = [item for item in instrument.safety_items if instrument.is_asked(item, answers)]
    return bool(asked) and all(answers.get((SAFETY, item.key)) == 0 for item in asked)


@dataclass(frozen=True)
class BondSection:
    bond_type: str
    heading: str
    title: str
    screened: bool
    label: str
    score: BondScore | None
    contact: str = ""  # "Regular contact", "Reduced contact", "No contact", or "" when not recorded


@dataclass(frozen=True)
class AnswerRow:
    text: str
    answer: str
    tags: str = ""
    # Self-report: the client's own answer in words when the clinician changed it afterwards ("" when
    # not changed or not self-report), and whether the answer that counts is the client's own.
    client_answer: str = ""
    by_client: bool = False

    @property
    def changed_from_client(self):
        return bool(self.client_answer)


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
    flags: tuple[Flag, ...]  # raised in this screening, by tier
    safety_declined: tuple[str, ...]  # safety questions without a Yes or No, with why
    crisis_resources: tuple[str, ...]
    bonds: tuple[BondSection, ...]
    protective: ProtectiveScore
    notes: str
    appendix: tuple[AppendixSection, ...]
    amendments: tuple[AmendmentNote, ...] = ()
    timepoint: str = ""  # "Intake", "Re-screen 1", …
    days_since_intake: int | None = None
    carried: tuple[Flag, ...] = ()  # still open from earlier screenings
    all_safety_no: bool = False  # every safety question asked was answered "No"
    as_of: str = ""  # when flag statuses were read
    resources_given: bool = False  # ticked by the clinician: given to the client, not only shown
    change_since: str = ""  # the screening compared with: "Re-screen 1, 2026-05-01"; "" when none
    change_lines: tuple[str, ...] = ()  # per bond and protective factors, in neutral words
    # How the screening was given when the client answered on their own ("Self-report by link,
    # submitted …, reviewed and completed by …"); "" when the clinician asked every question, and
    # the reports then name the clinician as before.
    administration: str = ""

    @property
    def client_answer_count(self):
        """Answers that are the client's own, as the client gave them (self-report)."""
        return sum(1 for section in self.appendix for row in section.rows if row.by_client)

    @property
    def changed_from_client(self):
        """The rows whose answer the clinician changed after the client gave one, in appendix order."""
        return tuple(row for section in self.appendix for row in section.rows if row.changed_from_client)

    @property
    def self_report_line(self):
        """What became of the client's answers, in a sentence; "" when not self-report."""
        if not self.administration:
            return ""
        changed = len(self.changed_from_client)
        given = self.client_answer_count + changed
        if not given:
            return "The client answered no questions."
        line = f"The client answered {given} question{'s' if given != 1 else ''}; "
        if not changed:
            return line + ("the clinician kept the answer as given." if given == 1 else
                           "the clinician kept every answer as given.")
        return line + (f"the clinician changed {changed} answer{'s' if changed != 1 else ''} afterwards "
                       "(the client's answer is shown beside it).")

    @property
    def safety_headline(self):
        return safety_headline(self.all_safety_no, self.flags, self.carried, self.safety_declined)

    @property
    def safety_clear(self):
        return self.safety_headline == NO_FLAGS

    @property
    def flags_by_tier(self):
        """[(tier label, flags)] of the disclosures, for the tiers that have any, "Act this session" first."""
        disclosed = [f for f in self.flags if f.kind == "disclosure"]
        return [(TIERS[tier], [f for f in disclosed if f.tier == tier]) for tier in TIERS
                if any(f.tier == tier for f in disclosed)]

    @property
    def not_assessed_flag(self):
        """This screening's "Safety not fully assessed" flag (its follow-up status), if any."""
        return next((f for f in self.flags if f.kind == "not_assessed"), None)


def answer_label(options, value, instrument=None, reason=""):
    """An answer in words: the scale's label, or why there is none (with the reason, if one was given)."""
    if value is None:
        return UNANSWERED_LABEL
    if value in NO_ANSWER_STATES:
        label = DECLINED_LABEL if instrument is None or instrument.schema < 2 else NO_ANSWER_LABELS[value]
        return f"{label}: {reason}" if reason else label
    return next((o.label for o in options if o.value == value), str(value))


def client_answers(screening):
    """{(section, item_key): Answer} of the answers the client gave in self-report (the clinician
    may have changed them since); {} without a query when the client answered nothing."""
    if not screening.self_report:
        return {}
    return {(a.section, a.item_key): a for a in screening.answers.exclude(client_answer="")}


def client_marks(section, item, answer, instrument):
    """AnswerRow's self-report fields for one item: the client's original in words when the
    clinician changed it, or that the answer is the client's own."""
    if answer is None:
        return {}
    if answer.changed_from_client:
        return {"client_answer": answer_label(section.item_scale(item), answer.client_plain, instrument)}
    return {"by_client": True}


def _item_tags(instrument, item):
    tags = []
    if item.stage:
        tags.append(f"Stage {item.stage}")
    if item.sign:
        tags.append(f"Sign: {instrument.sign(item.sign).title}")
    tags += [f"Indicator: {instrument.indicator(key).title}" for key in item.indicators]
    return "; ".join(tags)


# What a report reads of the client's other screenings: their timepoints, and the previous one's
# scores, bonds and clinician for the change since then.
HISTORY_FIELDS = (
    "id", "client_id", "kind", "status", "instrument_key", "started_at", "completed_at", "amended_at",
    "abuser_in_scope", "abuser_label", "abuser_contact", "v2v_in_scope", "v2v_label", "v2v_contact",
    "clinician__full_name", "clinician__email", "completed_by__full_name", "completed_by__email",
)


def completed_history(client):
    """The client's completed screenings, from one query, with only what a report reads of them. Their
    scores come as undecoded text (scores_text): a report decodes one screening's, the previous
    one's (with_scores), not all of a long history's."""
    return list(
        client.screenings.completed().select_related("clinician", "completed_by").only(*HISTORY_FIELDS)
        .annotate(scores_text=Cast("scores", TextField()))
    )


def with_scores(screening):
    """A screening from completed_history() with its scores decoded, as a full row has them."""
    if hasattr(screening, "scores_text"):
        screening.scores = json.loads(screening.scores_text) if screening.scores_text is not None else None
    return screening


def change_since_previous(screening, history, marks, instrument):
    """What changed since the client's previous completed screening of the same checklist version;
    marks: timepoints(history)."""
    earlier = [s for s in history if s.instrument_key == screening.instrument_key and s.completed_at < screening.completed_at]
    if not earlier:
        return "", ()
    previous = with_scores(max(earlier, key=lambda s: s.completed_at))
    base, current = points([previous, screening], marks)
    comparison = compare(base, current, bond_titles(instrument), EstimateLookup.for_clinic(screening.client.clinic_id))
    lines = [f"{b.title}{f' ({b.label_after})' if b.label_after else ''}: {b.summary}"
             for b in comparison.bonds if b.screened_before or b.screened_after]
    lines.append(comparison.protective.summary)
    return f"{base.timepoint or base.kind}, {base.date:%Y-%m-%d}", tuple(lines)


def build_intake_report(screening, appendix=True, now=None):
    """Report data for one completed screening, from its stored scores and its answers.

    appendix=False leaves out the item-by-item answers, which only the PDF shows, unless the client
    answered for themselves (self-report): the page then lists the answers changed after the client's."""
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
            contact=screening.bond_contact(bond.key),
        )
        for bond in instrument.bond_types
    )

    by_client = client_answers(screening)
    appendix = () if not (appendix or screening.self_report) else tuple(
        AppendixSection(
            title=f"{BOND_HEADINGS[section.key] if section.is_bond else section.title}: item answers",
            rows=tuple(
                AnswerRow(item.text_for(screening.is_intake),
                          answer_label(section.item_scale(item), answers.get((section.key, item.key)), instrument,
                                       reasons.get((section.key, item.key), "")),
                          _item_tags(instrument, item) if section.is_bond else "",
                          **client_marks(section, item, by_client.get((section.key, item.key)), instrument))
                for item in section.items
            ),
        )
        for section in screening.sections()
    )

    clinic = screening.client.clinic
    now = now or timezone.now()
    current_flags, carried = safety_flags_of(screening, now)
    history = completed_history(screening.client)
    marks = timepoints(history)
    timepoint, days = marks.get(screening.id, ("", None))
    change_since, change_lines = change_since_previous(screening, history, marks, instrument)
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
        flags=current_flags,
        safety_declined=not_assessed_questions(instrument, answers, reasons),
        carried=carried,
        all_safety_no=all_safety_no(instrument, answers),
        as_of=timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        timepoint=timepoint,
        days_since_intake=days,
        resources_given=screening.resources_given,
        change_since=change_since,
        change_lines=change_lines,
        crisis_resources=tuple(
            line.strip() for line in (screening.crisis_resources or clinic.crisis_resources).splitlines() if line.strip()
        ),
        bonds=bonds,
        protective=scores.protective,
        notes=screening.notes,
        appendix=appendix,
        amendments=amendment_notes(screening),
        administration=screening.administration if screening.self_report else "",
    )


def amendment_notes(screening):
    if screening.amended_at is None:
        return ()
    return tuple(
        AmendmentNote(timezone.localtime(a.amended_at).strftime("%Y-%m-%d"), a.amended_by.get_full_name(), a.reason)
        for a in screening.amendments.select_related("amended_by")
    )
