"""Account and clinic actions. Each runs in its own transaction and announces itself with
`clinicians.signals.account_action` (the audit app writes the row), only when something changed."""

import hashlib
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_otp import devices_for_user

from clinicians import audit_actions as A
from clinicians.actors import Actor
from clinicians.models import Invitation, User
from clinicians.sessions import end_sessions
from clinicians.signals import account_action


def _announce(action, actor, obj=None, detail=""):
    account_action.send(sender=User, action=action, actor=actor, obj=obj, detail=detail)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def save_clinic_settings(form, actor):
    """Save a valid ClinicSettingsForm; returns whether anything changed."""
    if not form.has_changed():
        return False
    with transaction.atomic():
        form.save()
        _announce(A.CLINIC_SETTINGS_CHANGED, actor, obj=form.instance, detail=", ".join(form.changed_data))
    return True


def create_invitation(clinic, email, role, actor):
    """A new invitation and its token (only the token's hash is stored)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            clinic=clinic, email=email, role=role, token_hash=token_hash(token), invited_by=actor.user,
            expires_at=timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS),
        )
        _announce(A.INVITED, actor, obj=invitation, detail=invitation.email)
    return invitation, token


class InvitationUnusable(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "used" or "exists"


def accept_invitation(invitation, full_name, password, actor):
    """The new account. Two quick submits, or two invitations to one address, make one account."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.is_used:
            raise InvitationUnusable("used")
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    invitation.email, password, full_name=full_name, clinic=invitation.clinic, role=invitation.role,
                )
        except IntegrityError:  # another invitation to this address was accepted at the same moment
            raise InvitationUnusable("exists") from None
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        _announce(A.INVITATION_ACCEPTED, Actor(user=user, ip=actor.ip), obj=locked)
    return user


def set_active(member, active, actor):
    """Deactivate or reactivate an account; False when it already was so."""
    with transaction.atomic():
        changed = User.objects.filter(pk=member.pk).exclude(is_active=active).update(is_active=active)
        member.is_active = active
        if changed:
            if not active:
                end_sessions(member)  # at once: a reactivated account must not get its old sessions back
            _announce(A.REACTIVATED if active else A.DEACTIVATED, actor, obj=member, detail=member.email)
    return bool(changed)


def unlock(member, actor):
    with transaction.atomic():
        axes_reset(username=member.email)
        _announce(A.UNLOCKED, actor, obj=member, detail=member.email)


def reset_two_factor(member, actor):
    with transaction.atomic():
        for device in devices_for_user(member, confirmed=None):
            device.delete()
        _announce(A.TWO_FACTOR_RESET, actor, obj=member, detail=member.email)


def two_factor_enabled(user, actor):
    _announce(A.TWO_FACTOR_ENABLED, actor, obj=user)
