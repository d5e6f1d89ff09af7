"""Safety flags: raised as soon as a safety answer is saved, followed up until resolved.

- A "Yes" raises its flag at once (autosave or step save), in the draft: the clinician sees it on
  the home and client pages before the screening is completed.
- Changing that answer before completion withdraws the flag as "entered in error", with who and
  when; the flag stays in the history. After completion a flag is never taken back (an amendment
  only raises; a flag recorded in error is resolved with a follow-up saying so).
- A safety question declined or not asked raises one "Safety not fully assessed" flag per
  screening, naming the questions; answering them all before completion withdraws it.
- A discarded draft keeps its flags (the draft is noted as discarded on them).
- Once a client's self-report has ended (stopped, handed back, submitted), a safety question left
  without any answer counts as not assessed too: the clinician is told before opening the draft.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.trail import record
from screening import audit_actions as A
from screening.instrument import ACT_NOW, FOLLOW_UP, NO_ANSWER_LABELS, SAFETY, load_instrument
from screening.models import Client, FollowUp, SafetyFlag
from screening.scoring import is_answered

NOT_ASSESSED_KEY = "safety-not-assessed"
NOT_ASSESSED_TITLE = "Safety not fully assessed"
ENTERED_IN_ERROR = "Entered in error: the answer was changed before the screening was completed."
ALL_ANSWERED = "Every safety question was answered before the screening was completed."


class FlagClosed(Exception):
    """The flag is already resolved or withdrawn; follow-ups are recorded on open flags."""


class ResolutionRefused(Exception):
    """An "act this session" flag is resolved only by an assessment, a plan, a referral or an emergency action."""


def _previous_flag_keys(screening):
    previous = (
        screening.client.screenings.completed().exclude(pk=screening.pk)
        .filter(completed_at__lt=screening.completed_at or timezone.now()).order_by("-completed_at").first()
    )
    if previous is None:
        return set()
    return set(previous.safety_flags.filter(withdrawn_at__isnull=True).values_list("item_key", flat=True))


def not_assessed_detail(instrument, answers, reasons, count_unanswered=False):
    """Which asked safety questions have no Yes or No, and why: ("" when none), and their tier.

    count_unanswered: a question with no answer at all counts too (the client's self-report ended
    before it was answered); otherwise it is simply not reached yet."""
    missing = [
        item for item in instrument.safety_items
        if instrument.is_asked(item, answers) and not is_answered(answers.get((SAFETY, item.key)))
        and ((SAFETY, item.key) in answers or count_unanswered)
    ]
    if not missing:
        return "", None
    parts = []
    for item in missing:
        why = NO_ANSWER_LABELS.get(answers.get((SAFETY, item.key)), "Not answered in self-report").lower()
        reason = reasons.get((SAFETY, item.key), "")
        parts.append(f"{item.flag} ({why}{': ' + reason if reason else ''})")
    tier = ACT_NOW if any(item.tier == ACT_NOW for item in missing) else FOLLOW_UP
    return "; ".join(parts)[:1000], tier


def sync_flags(screening, actor, *, withdraw=True, now=None):
    """Bring the screening's flags in line with its safety answers; returns (raised, withdrawn).

    withdraw=False (an amendment of a completed screening) only raises. Runs inside the caller's
    transaction, with the screening row locked by it.
    """
    now = now or timezone.now()
    Client.objects.lock(screening.client_id)  # before any flag row: see ClientQuerySet.lock
    instrument = screening.instrument
    answers, reasons = screening.answers_and_reasons()
    live = {f.item_key: f for f in screening.safety_flags.filter(withdrawn_at__isnull=True)}
    earlier = None
    raised, withdrawn = [], []

    def raise_flag(**fields):
        nonlocal earlier
        if earlier is None:
            earlier = _previous_flag_keys(screening)
        flag = SafetyFlag.objects.create(
            client_id=screening.client_id, screening=screening, raised_at=now, raised_by=actor.user,
            recurring=fields["item_key"] in earlier, **fields,
        )
        record(A.FLAG_RAISED, actor, obj=flag, detail=f"{flag.title} ({flag.get_tier_display()})")
        raised.append(flag)

    def withdraw_flag(flag, reason, acted_on_too=False):
        # Locked, as record_follow_up locks it: a follow-up and a withdrawal never cross.
        flag = SafetyFlag.objects.select_for_update().get(pk=flag.pk)
        if flag.resolved_at is not None or flag.withdrawn_at is not None:
            return
        if not acted_on_too and flag.follow_ups.exists():
            return  # a disclosure acted on already is closed by a follow-up, not withdrawn
        SafetyFlag.objects.filter(pk=flag.pk).update(withdrawn_at=now, withdrawn_by=actor.user, withdrawn_reason=reason)
        record(A.FLAG_WITHDRAWN, actor, obj=flag, detail=f"{flag.title}: {reason}"[:200])
        withdrawn.append(flag)

    for item in instrument.safety_items:
        answer = answers.get((SAFETY, item.key))
        flag = live.get(item.key)
        if answer == 1 and flag is None:
            raise_flag(item_key=item.key, title=item.flag, tier=item.tier)
        elif answer == 0 and flag is not None and withdraw:
            # Only a change to "No" takes a disclosure back. Changed to "Client declined" or "Not
            # asked", what was disclosed stays disclosed (and the question is also not assessed).
            withdraw_flag(flag, ENTERED_IN_ERROR)

    detail, tier = not_assessed_detail(instrument, answers, reasons, count_unanswered=screening.client_finished_at is not None)
    flag = live.get(NOT_ASSESSED_KEY)
    if detail and flag is None:
        raise_flag(item_key=NOT_ASSESSED_KEY, title=NOT_ASSESSED_TITLE, tier=tier, kind=SafetyFlag.Kind.NOT_ASSESSED,
                   detail=detail)
    elif detail and flag is not None and flag.resolved_at is None and (flag.detail, flag.tier) != (detail, tier):
        SafetyFlag.objects.filter(pk=flag.pk).update(detail=detail, tier=tier)
    elif not detail and flag is not None and withdraw:
        # Every question answered after all: the reason for the flag is gone, even if a follow-up
        # was recorded meanwhile (it stays in the flag's history).
        withdraw_flag(flag, ALL_ANSWERED, acted_on_too=True)
    return raised, withdrawn


def note_discarded(screening, now):
    """The draft is about to be deleted: its flags stay, marked with when their draft was discarded."""
    Client.objects.lock(screening.client_id)  # before any flag row: see ClientQuerySet.lock
    return SafetyFlag.objects.filter(screening=screening).update(draft_discarded_at=now)


def record_follow_up(flag_id, scoped_flags, actor, *, action, note, referral_to="", resolves=False, submission):
    """Add a follow-up to an open flag; a resolving one closes it. A repeated submission is a no-op.

    Returns (follow_up, created). Raises FlagClosed, or ResolutionRefused for an "act this session"
    flag that the action given cannot resolve.
    """
    with transaction.atomic():
        # The client's row before the flag's, as every action writing a flag takes them (ClientQuerySet.lock).
        Client.objects.lock(scoped_flags.filter(pk=flag_id).values("client_id")[:1])
        flag = scoped_flags.select_for_update(of=("self",)).get(pk=flag_id)
        repeat = flag.follow_ups.filter(submission=submission).first()
        if repeat is not None:
            return repeat, False
        if not flag.is_open:
            raise FlagClosed()
        if resolves and flag.acts_now and action not in FollowUp.RESOLVES_ACT_NOW:
            raise ResolutionRefused()
        now = timezone.now()
        try:
            with transaction.atomic():
                follow_up = FollowUp.objects.create(
                    flag=flag, action=action, note=note.strip(), referral_to=referral_to.strip(),
                    resolves=resolves, recorded_by=actor.user, recorded_at=now, submission=submission,
                )
        except IntegrityError:
            return flag.follow_ups.get(submission=submission), False
        if resolves:
            SafetyFlag.objects.filter(pk=flag.pk).update(resolved_at=now)
        record(A.FLAG_FOLLOW_UP, actor, obj=flag, detail=f"{action}{' (resolves)' if resolves else ''}")
        return follow_up, True


def flag_guidance(flag):
    """What the instrument tells the clinician to do about this flag ("" for one it does not know)."""
    if flag.kind == SafetyFlag.Kind.NOT_ASSESSED:
        return ("Ask the questions not answered when it is safe to do so, or record why they cannot be asked; "
                "until then the client's safety is not known.")
    key = flag.screening.instrument_key if flag.screening else None
    for instrument_key in filter(None, (key, "tbsc-2", "tbsc-1")):
        item = next((i for i in load_instrument(instrument_key).safety_items if i.key == flag.item_key), None)
        if item:
            return item.guidance
    return ""
