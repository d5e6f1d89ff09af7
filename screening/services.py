"""State changes of a screening. Views call these; they hold the rules about drafts and locking, and
each writes its own audit row inside its transaction, only when the action happened."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.trail import record
from clinicians.actors import Actor
from screening import audit_actions as A
from screening import flags
from screening.models import Amendment, Answer, Screening, answer_columns
from screening.signals import screening_locked
from screening.instrument import SAFETY
from screening.scoring import DECLINED, NOT_ASKED, score_screening, unanswered_items


class ScreeningLocked(Exception):
    """The screening is completed; its answers can no longer change."""


class NothingChanged(Exception):
    """An amendment must change at least one answer."""


class AmendmentIncomplete(Exception):
    """The corrected answers leave a question asked without an answer (say, "Are you having these
    thoughts now?" after a "No" corrected to "Yes"); problems: [(section, item_key)]."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def start_screening(client, actor):
    """(draft, created): the client's open draft, or a new one. Starting twice (double click, two tabs) resumes."""
    existing = client.screenings.drafts().first()
    if existing:
        return existing, False
    kind = Screening.Kind.RESCREEN if client.screenings.completed().exists() else Screening.Kind.INTAKE
    try:
        with transaction.atomic():
            screening = Screening.objects.create(client=client, clinician=actor.user, kind=kind)
            record(A.SCREENING_STARTED, actor, obj=screening)
            return screening, True
    except IntegrityError:
        # Another request created the draft between our check and insert (one_draft_per_client).
        return client.screenings.drafts().get(), False


def discard_draft(screening, actor):
    """Delete a draft and its answers; False when it was completed meanwhile (then nothing is deleted)."""
    with transaction.atomic():
        # Lock first: a completion running at the same moment either finishes before (then this is no
        # longer a draft) or waits until the draft is gone; never answers deleted under a completion.
        locked = Screening.objects.select_for_update().filter(pk=screening.pk, status=Screening.Status.DRAFT).first()
        if locked is None:
            return False
        kept = flags.note_discarded(locked, timezone.now())
        locked.delete()
        record(A.SCREENING_DISCARDED, actor, obj=screening, client_id=screening.client_id,
               detail=f"{kept} safety flag(s) kept" if kept else "")
    return True


def update_draft(screening, fields):
    """Write some of a draft's own fields (bonds in scope, labels, notes) and nothing else.

    A conditional UPDATE rather than Model.save(): a stale copy saved whole after a completion
    in another request would otherwise turn the completed screening back into a draft.
    """
    changed = Screening.objects.filter(pk=screening.pk, status=Screening.Status.DRAFT).update(
        **fields, updated_at=timezone.now()
    )
    if not changed:
        raise ScreeningLocked()
    for name, value in fields.items():
        setattr(screening, name, value)


def _write_answers(screening, section, values, now, reasons=None, given_by=Answer.GivenBy.CLINICIAN):
    """Insert or update one section's answers ({item_key: int | state}) and the reasons of those not
    answered ({item_key: text}); returns the rows that changed.

    given_by CLIENT (self-report) also keeps the answer as the client's own; a clinician's later
    change leaves that in place, so the client's original stays beside the answer that counts."""
    reasons = reasons or {}
    by_client = given_by == Answer.GivenBy.CLIENT
    existing = {a.item_key: a for a in screening.answers.filter(section=section, item_key__in=values)}
    to_create, to_update = [], []
    for key, value in values.items():
        columns = answer_columns(value)
        # A reason belongs to a question without an answer; answering it clears the reason.
        columns["reason"] = reasons.get(key, "") if columns["state"] in (DECLINED, NOT_ASKED) else ""
        answer = existing.get(key)
        if answer is None:
            to_create.append(Answer(
                screening=screening, section=section, item_key=key, answered_at=now, given_by=given_by,
                client_answer=str(value) if by_client else "", **columns,
            ))
        elif (answer.plain, answer.reason) != (value, columns["reason"]):
            answer.value, answer.state, answer.reason, answer.answered_at = (
                columns["value"], columns["state"], columns["reason"], now)
            answer.given_by = given_by
            if by_client:
                answer.client_answer = str(value)
            to_update.append(answer)
    Answer.objects.bulk_create(to_create)
    Answer.objects.bulk_update(to_update, ["value", "state", "reason", "answered_at", "given_by", "client_answer"])
    return to_create + to_update


def save_answers(screening, section, values, reasons=None, actor=None, given_by=Answer.GivenBy.CLINICIAN):
    """Store the given answers of one section of a draft; None means "not given in this request", not a clear.

    values maps item_key to an int on the scale or a state (DECLINED, NOT_ASKED, NOT_APPLICABLE);
    reasons, item_key to why a safety question was not answered. Returns the number of rows written.
    A safety answer raises (or withdraws) its flag at once, with `actor` (default: the screening's clinician).
    """
    given = {key: value for key, value in values.items() if value is not None}
    with transaction.atomic():
        # Lock the row and re-read the status: a completion in another request wins cleanly.
        status = Screening.objects.select_for_update().filter(pk=screening.pk).values_list("status", flat=True).get()
        if status != Screening.Status.DRAFT:
            raise ScreeningLocked()
        if not given:
            return 0
        now = timezone.now()
        written = _write_answers(screening, section, given, now, reasons, given_by)
        Screening.objects.filter(pk=screening.pk).update(updated_at=now)
        if written and section == SAFETY:
            flags.sync_flags(screening, actor or Actor(screening.clinician), now=now)
    return len(written)


def save_answer_set(screening, answers, actor=None, reasons=None):
    """Save a whole set of answers {(section, item_key): int | state} (the demo, tests); reasons:
    {(section, item_key): text} for safety questions not answered."""
    by_section = {}
    for (section, key), value in answers.items():
        by_section.setdefault(section, {})[key] = value
    reasons = reasons or {}
    return sum(
        save_answers(screening, section, values, {k: r for (s, k), r in reasons.items() if s == section}, actor)
        for section, values in by_section.items()
    )


@dataclass(frozen=True)
class Completion:
    screening: Screening
    completed: bool  # False: already complete (a double submit), or refused for problems
    problems: tuple = ()  # (section, item_key) still unanswered; ("bonds", None) when no bond is chosen


def complete_screening(screening_id, scoped_screenings, actor):
    """Lock a draft, store its scores and raise its flags. Nothing changes while problems remain, and
    completing a screening that is already complete does nothing (completed=False, no audit row)."""
    with transaction.atomic():
        screening = scoped_screenings.select_for_update(of=("self",)).get(pk=screening_id)
        if not screening.is_draft:
            return Completion(screening, False)
        if not screening.bonds_in_scope:
            return Completion(screening, False, (("bonds", None),))
        answers = screening.answer_map()
        problems = unanswered_items(screening.instrument, screening.bonds_in_scope, answers, screening.is_intake)
        if problems:
            return Completion(screening, False, tuple(problems))
        scores = score_screening(screening.instrument, screening.bonds_in_scope, answers, screening.is_intake)
        screening.scores = scores.to_dict()
        screening.status = Screening.Status.COMPLETE
        screening.completed_at = timezone.now()
        screening.completed_by = actor.user or screening.clinician
        screening.crisis_resources = screening.client.clinic.crisis_resources
        screening.save(update_fields=["scores", "status", "completed_at", "completed_by", "crisis_resources", "updated_at"])
        flags.sync_flags(screening, actor)
        record(A.SCREENING_COMPLETED, actor, obj=screening)
        _announce_locked(screening, version=0)
        return Completion(screening, True)


def amend_screening(screening_id, scoped_screenings, actor, reason, values_by_section, reasons_by_section=None):
    """Correct answers of a completed screening, keeping what they were; scores are recomputed.

    values_by_section: {section: {item_key: int | state}}; reasons_by_section: {section: {item_key:
    why a safety question was not answered}}. Returns the Amendment.
    """
    with transaction.atomic():
        screening = scoped_screenings.select_for_update(of=("self",)).get(pk=screening_id)
        if screening.is_draft:
            raise ScreeningLocked("A draft is edited, not amended.")
        before = screening.answer_map()
        changed = {
            section: {key: value for key, value in values.items() if value is not None and before.get((section, key)) != value}
            for section, values in values_by_section.items()
        }
        changes = [
            {"section": section, "item_key": key, "before": before.get((section, key)), "after": value}
            for section, values in changed.items() for key, value in values.items()
        ]
        if not changes:
            raise NothingChanged()
        now = timezone.now()
        amendment = Amendment.objects.create(
            screening=screening, amended_by=actor.user, amended_at=now, reason=reason.strip(), changes=changes,
            previous_answers=[{"section": s, "item_key": k, "answer": v} for (s, k), v in sorted(before.items())],
            previous_scores=screening.scores,
        )
        for section, values in changed.items():
            _write_answers(screening, section, values, now, (reasons_by_section or {}).get(section))
        after = screening.answer_map()
        problems = unanswered_items(screening.instrument, screening.bonds_in_scope, after, screening.is_intake)
        if problems:
            raise AmendmentIncomplete(problems)  # rolls the whole amendment back
        screening.scores = score_screening(
            screening.instrument, screening.bonds_in_scope, after, screening.is_intake).to_dict()
        screening.amended_at = now
        screening.save(update_fields=["scores", "amended_at", "updated_at"])
        # A safety item newly endorsed by the correction raises its flag; a flag is never taken back
        # (it is resolved with a follow-up that says it was recorded in error).
        flags.sync_flags(screening, actor, withdraw=False, now=now)
        record(A.SCREENING_AMENDED, actor, obj=screening)
        _announce_locked(screening, version=screening.amendments.count())
        return amendment


def _announce_locked(screening, version):
    # After commit: a listener that fails (or a job queue that is down) never undoes the completion.
    transaction.on_commit(lambda: screening_locked.send(sender=Screening, screening=screening, version=version))
