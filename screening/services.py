"""State changes of a screening. Views call these; they hold the rules about drafts and locking."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from screening import flags
from screening.models import Answer, Screening
from screening.scoring import DECLINED, score_screening, unanswered_items


class ScreeningLocked(Exception):
    """The screening is completed; its answers can no longer change."""


def start_screening(client, clinician):
    """The client's open draft, or a new one. Starting twice (double click, two tabs) resumes."""
    existing = client.screenings.drafts().first()
    if existing:
        return existing, False
    kind = Screening.Kind.RESCREEN if client.screenings.completed().exists() else Screening.Kind.INTAKE
    try:
        with transaction.atomic():
            return Screening.objects.create(client=client, clinician=clinician, kind=kind), True
    except IntegrityError:
        # Another request created the draft between our check and insert (one_draft_per_client).
        return client.screenings.drafts().get(), False


def discard_draft(screening):
    """Delete a draft and its answers; False when it was completed meanwhile (then nothing is deleted)."""
    deleted, _ = Screening.objects.filter(pk=screening.pk, status=Screening.Status.DRAFT).delete()
    return deleted > 0


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


def save_answers(screening, section, values):
    """Store the given answers of one section; None means "not given in this request", not a clear.

    values maps item_key to an int on the scale or DECLINED. Returns the number of rows written.
    """
    given = {key: value for key, value in values.items() if value is not None}
    with transaction.atomic():
        # Lock the row and re-read the status: a completion in another request wins cleanly.
        status = Screening.objects.select_for_update().filter(pk=screening.pk).values_list("status", flat=True).get()
        if status != Screening.Status.DRAFT:
            raise ScreeningLocked()
        if not given:
            return 0
        existing = {a.item_key: a for a in screening.answers.filter(section=section, item_key__in=given)}
        now = timezone.now()
        to_create, to_update = [], []
        for key, value in given.items():
            declined = value == DECLINED
            number = None if declined else value
            answer = existing.get(key)
            if answer is None:
                to_create.append(Answer(screening=screening, section=section, item_key=key,
                                        value=number, declined=declined, answered_at=now))
            elif (answer.value, answer.declined) != (number, declined):
                answer.value, answer.declined, answer.answered_at = number, declined, now
                to_update.append(answer)
        Answer.objects.bulk_create(to_create)
        Answer.objects.bulk_update(to_update, ["value", "declined", "answered_at"])
        Screening.objects.filter(pk=screening.pk).update(updated_at=now)
    return len(to_create) + len(to_update)


def complete_screening(screening_id, user_scoped_queryset, user=None):
    """Lock a draft and store its scores. Returns (screening, problems).

    problems lists (section, item_key) still unanswered; nothing changes while there are any.
    Completing a screening that is already complete is a no-op (a double submit).
    """
    with transaction.atomic():
        screening = user_scoped_queryset.select_for_update(of=("self",)).get(pk=screening_id)
        if not screening.is_draft:
            return screening, []
        if not screening.bonds_in_scope:
            return screening, [("bonds", None)]
        answers = screening.answer_map()
        problems = unanswered_items(screening.instrument, screening.bonds_in_scope, answers)
        if problems:
            return screening, problems
        scores = score_screening(screening.instrument, screening.bonds_in_scope, answers)
        screening.scores = scores.to_dict()
        screening.status = Screening.Status.COMPLETE
        screening.completed_at = timezone.now()
        screening.completed_by = user or screening.clinician
        screening.crisis_resources = screening.client.clinic.crisis_resources
        screening.save(update_fields=["scores", "status", "completed_at", "completed_by", "crisis_resources", "updated_at"])
        flags.raise_flags(screening)
        return screening, []


class NothingChanged(Exception):
    """An amendment must change at least one answer."""


def amend_screening(screening_id, user_scoped_queryset, user, reason, values_by_section):
    """Correct answers of a completed screening, keeping what they were; scores are recomputed.

    values_by_section: {section: {item_key: int | DECLINED}}. Returns the Amendment.
    """
    from screening.models import Amendment

    with transaction.atomic():
        screening = user_scoped_queryset.select_for_update(of=("self",)).get(pk=screening_id)
        if screening.is_draft:
            raise ScreeningLocked("A draft is edited, not amended.")
        rows = {(a.section, a.item_key): a for a in screening.answers.all()}
        before = {key: (DECLINED if a.declined else a.value) for key, a in rows.items()}
        changes = []
        for section, values in values_by_section.items():
            for key, value in values.items():
                if value is None or before.get((section, key)) == value:
                    continue
                changes.append({"section": section, "item_key": key, "before": before.get((section, key)), "after": value})
        if not changes:
            raise NothingChanged()
        now = timezone.now()
        amendment = Amendment.objects.create(
            screening=screening, amended_by=user, amended_at=now, reason=reason.strip(), changes=changes,
            previous_answers=[{"section": s, "item_key": k, "answer": v} for (s, k), v in sorted(before.items())],
            previous_scores=screening.scores,
        )
        for change in changes:
            declined = change["after"] == DECLINED
            number = None if declined else change["after"]
            Answer.objects.update_or_create(
                screening=screening, section=change["section"], item_key=change["item_key"],
                defaults={"value": number, "declined": declined, "answered_at": now},
            )
        after = screening.answer_map()
        screening.scores = score_screening(screening.instrument, screening.bonds_in_scope, after).to_dict()
        screening.amended_at = now
        screening.save(update_fields=["scores", "amended_at", "updated_at"])
        # A safety item newly endorsed by the correction raises its flag; a flag is never taken back
        # (it is resolved with a follow-up that says it was recorded in error).
        flags.raise_flags(screening, raised_at=now)
        return amendment
