"""Safety flags: raised from a completed screening's safety answers, followed up until resolved."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.trail import record
from screening import audit_actions as A
from screening.models import FollowUp, SafetyFlag


class FlagClosed(Exception):
    """The flag is already resolved; follow-ups are recorded on open flags."""


def raise_flags(screening, raised_at=None):
    """A SafetyFlag for each safety item the screening endorses (again after an amendment: only new ones).

    A flag is recurring when the client's previous completed screening raised the same item.
    """
    scores = screening.stored_scores()
    previous = (
        screening.client.screenings.completed().exclude(pk=screening.pk)
        .filter(completed_at__lt=screening.completed_at).order_by("-completed_at").first()
    )
    earlier = set(previous.safety_flags.values_list("item_key", flat=True)) if previous else set()
    existing = set(screening.safety_flags.values_list("item_key", flat=True))
    created = [
        SafetyFlag(client=screening.client, screening=screening, item_key=flag.key, title=flag.flag,
                   raised_at=raised_at or screening.completed_at, recurring=flag.key in earlier)
        for flag in scores.flags if flag.key not in existing
    ]
    SafetyFlag.objects.bulk_create(created)
    return created


def record_follow_up(flag_id, scoped_flags, actor, *, action, note, referral_to="", resolves=False, submission):
    """Add a follow-up to an open flag; a resolving one closes it. A repeated submission is a no-op.

    Returns (follow_up, created).
    """
    with transaction.atomic():
        flag = scoped_flags.select_for_update(of=("self",)).get(pk=flag_id)
        repeat = flag.follow_ups.filter(submission=submission).first()
        if repeat is not None:
            return repeat, False
        if not flag.is_open:
            raise FlagClosed()
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
