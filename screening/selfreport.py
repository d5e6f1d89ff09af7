"""Self-report: the client answers a draft on their own, on the clinic's tablet or by a one-time link.

The clinician stays in charge: the client's answers land in the draft, marked as the client's; the
clinician reviews, asks what was skipped and completes. Safety comes first and works as when the
clinician asks: a "Yes" raises its flag the moment it is saved. When the client's part ends with
safety questions unanswered, the draft is flagged "Safety not fully assessed" (flags.sync_flags).

A link carries only a random token; the database keeps its SHA-256, so a copy of the database
opens no link. Each action writes its own audit row, under the clinic, and only when it happened.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.trail import record
from clinicians.actors import Actor, client_ip
from screening import audit_actions as A
from screening import flags, services
from screening.instrument import SAFETY, load_client_wording
from screening.models import Answer, Screening, SelfReportLink
from screening.scoring import DECLINED

TABLET = Screening.SelfReport.TABLET
LINK = Screening.SelfReport.LINK
# What a safety question the client chose not to answer says as its reason (a reason is required).
CLIENT_DECLINED_REASON = "The client chose not to answer in self-report."


class SelfReportUnavailable(Exception):
    """This draft cannot be handed to the client (yet): the message says why."""


class LinkUnusable(Exception):
    """The link was used, has expired or was cancelled, or the draft is no longer open."""


def client_actor(request, screening):
    """The client, answering on their own: no user, but the clinic the record belongs to."""
    return Actor(ip=client_ip(request), email="client (self-report)", for_clinic_id=screening.client.clinic_id)


def check_can_hand_over(screening):
    """Refuse a draft the client cannot answer yet, with a message for the clinician."""
    if not screening.is_draft:
        raise SelfReportUnavailable("This screening is completed; a client answers drafts only.")
    if not screening.bonds_in_scope:
        raise SelfReportUnavailable("First choose which bond or bonds this screening covers: the client's questions depend on it.")
    if load_client_wording(screening.instrument_key) is None:
        raise SelfReportUnavailable(
            f"Checklist {screening.instrument_key} has no wording for clients. Discard this draft and start a new one "
            "to use self-report.")


def client_sections(screening):
    """The sections a client answers, safety first whatever the instrument's order."""
    sections = screening.sections()
    return tuple(s for s in sections if s.key == SAFETY) + tuple(s for s in sections if s.key != SAFETY)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


# Links -----------------------------------------------------------------------------------------

def create_link(screening, actor):
    """(link, token): a new one-time link for the draft; a live link made before is cancelled. The
    token is returned once and never stored."""
    check_can_hand_over(screening)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        locked = Screening.objects.select_for_update().get(pk=screening.pk)
        if not locked.is_draft:
            raise SelfReportUnavailable("This screening was completed meanwhile; a client answers drafts only.")
        for old in screening.links.live():
            _revoke(old, actor, now, "replaced by a new link")
        link = SelfReportLink.objects.create(
            screening=screening, token_hash=token_hash(token), created_by=actor.user, created_at=now,
            expires_at=now + timedelta(hours=screening.client.clinic.self_report_link_hours),
        )
        record(A.LINK_CREATED, actor, obj=link, detail=f"expires {timezone.localtime(link.expires_at):%Y-%m-%d %H:%M}")
    return link, token


def _revoke(link, actor, now, why):
    changed = SelfReportLink.objects.live().filter(pk=link.pk).update(revoked_at=now, revoked_by=actor.user)
    if changed:
        record(A.LINK_REVOKED, actor, obj=link, detail=why)
    return bool(changed)


def revoke_link(link, actor):
    """Cancel a link not yet submitted; False when there was nothing to cancel. Answers the client
    gave through it stay, and their part ends there (close_lapsed_link)."""
    with transaction.atomic():
        revoked = _revoke(link, actor, timezone.now(), "cancelled by the clinician")
        if revoked:
            close_lapsed_link(Screening.objects.get(pk=link.screening_id), actor)
        return revoked


def find_link(token):
    """The link this token opens, usable or not; None for a token that matches nothing."""
    if not token or len(token) > 100:
        return None
    return (SelfReportLink.objects.select_related("screening", "screening__client", "screening__client__clinic")
            .filter(token_hash=token_hash(token)).first())


def usable_link(token):
    """The link, if it can still be answered; raises LinkUnusable otherwise (whatever the reason:
    the page the client sees is the same, so it tells nothing about the client or the clinic)."""
    link = find_link(token)
    if link is None or not link.is_usable or not link.screening.is_draft:
        raise LinkUnusable()
    return link


def note_opened(link, actor):
    """The client opened the link's first page: kept on the link and in the audit trail."""
    now = timezone.now()
    first = link.first_opened_at is None
    SelfReportLink.objects.filter(pk=link.pk).update(last_opened_at=now, **({"first_opened_at": now} if first else {}))
    record(A.LINK_OPENED, actor, obj=link, detail="first opening" if first else "opened again")


# Answers ---------------------------------------------------------------------------------------

def save_client_answers(screening, section, values, channel, actor, link=None):
    """Save the client's answers to one section; returns the number written.

    A safety question the client chose not to answer gets the self-report reason. With a link, the
    link is locked and checked in the same transaction: a submit or a cancel wins cleanly.
    Raises LinkUnusable, or services.ScreeningLocked when the draft was completed meanwhile.
    """
    given = {key: value for key, value in values.items() if value is not None}
    reasons = {key: CLIENT_DECLINED_REASON for key, value in given.items() if section == SAFETY and value == DECLINED}
    with transaction.atomic():
        if link is not None:
            _lock_usable(link)
        written = services.save_answers(screening, section, given, reasons, actor, given_by=Answer.GivenBy.CLIENT)
        if written and screening.self_report != channel:
            Screening.objects.filter(pk=screening.pk).update(self_report=channel)
            screening.self_report = channel
    return written


def _lock_usable(link):
    locked = SelfReportLink.objects.select_for_update().filter(pk=link.pk).first()
    if locked is None or not locked.is_usable:
        raise LinkUnusable()
    return locked


def finish(screening, channel, actor, link=None):
    """The client's part ends: stopped or handed back on the tablet, or a link submitted.

    Marks the draft with how and when, and flags safety questions left unanswered. Returns False
    when there was nothing to finish (a double submit, or a link no longer usable).
    """
    now = timezone.now()
    with transaction.atomic():
        if link is not None:
            try:
                _lock_usable(link)
            except LinkUnusable:
                return False
            SelfReportLink.objects.filter(pk=link.pk).update(submitted_at=now)
        changed = Screening.objects.filter(pk=screening.pk, status=Screening.Status.DRAFT).update(
            self_report=channel, client_finished_at=now, updated_at=now)
        if not changed:
            if link is not None:
                raise services.ScreeningLocked()
            return False
        screening.self_report, screening.client_finished_at = channel, now
        flags.sync_flags(screening, actor, now=now)
        action = A.LINK_SUBMITTED if link is not None else A.TABLET_STOPPED if channel == TABLET else A.LINK_LAPSED
        skipped = len(unanswered_by_client(screening))
        record(action, actor, obj=link or screening, client_id=screening.client_id,
               detail=f"{skipped} question(s) not answered" if skipped else "every question answered")
    return True


def close_lapsed_link(screening, actor):
    """A link the client answered through ended unsent (expired, or cancelled): their part is over,
    so safety questions left unanswered are flagged as when a client stops. Run when the clinician
    cancels the link or opens the draft; False when there is nothing to close."""
    if screening.self_report != LINK or screening.client_finished_at is not None or not screening.is_draft:
        return False
    if any(link.is_usable for link in screening.links.live()):
        return False
    return finish(screening, LINK, actor)


def unanswered_by_client(screening, answers=None):
    """The questions the client was shown and left without any answer, safety first: [(section, item)]."""
    answers = screening.answer_map() if answers is None else answers
    instrument = screening.instrument
    return [
        (section, item) for section in client_sections(screening) for item in section.items
        if (section.key, item.key) not in answers
        and (section.key != SAFETY or instrument.is_asked(item, answers))
    ]


# The tablet ------------------------------------------------------------------------------------

TABLET_SESSION_KEY = "tablet"


def enter_tablet(request, screening, actor):
    """Hand the tablet over: from now on this browser's session shows only the client's questions."""
    check_can_hand_over(screening)
    request.session[TABLET_SESSION_KEY] = {"screening": str(screening.id), "stopped": False}
    record(A.TABLET_ENTERED, actor, obj=screening)


def tablet_screening_id(request):
    state = request.session.get(TABLET_SESSION_KEY)
    return state["screening"] if state else None


def tablet_stopped(request):
    return bool((request.session.get(TABLET_SESSION_KEY) or {}).get("stopped"))


def mark_tablet_stopped(request):
    state = dict(request.session[TABLET_SESSION_KEY], stopped=True)
    request.session[TABLET_SESSION_KEY] = state


def leave_tablet(request, screening, actor):
    """The clinician takes the tablet back (their password checked by the view). If the client had
    not stopped, their part ends now."""
    client_answered = screening is not None and screening.answers.filter(given_by=Answer.GivenBy.CLIENT).exists()
    if screening is not None and screening.is_draft and client_answered and not tablet_stopped(request):
        finish(screening, TABLET, client_actor(request, screening))
    request.session.pop(TABLET_SESSION_KEY, None)
    request.session.pop("tablet_password_failures", None)
    record(A.TABLET_LEFT, actor, obj=screening, client_id=screening.client_id if screening else None)
