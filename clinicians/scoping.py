"""Which accounts a user may see: the members of their own clinic (clinic admins manage these).

Client data is scoped in `screening.scoping`, the one place that filters clients, screenings and flags.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from clinicians.models import User


def clinic_id_of(user):
    if not user.is_authenticated or not user.is_active or user.clinic_id is None:
        # Views are behind clinic_member_required; this guards any caller that is not.
        raise PermissionDenied("This account is not a member of a clinic.")
    return user.clinic_id


def members_for(user):
    """The accounts of the user's clinic (clinic admins manage these)."""
    return User.objects.filter(clinic_id=clinic_id_of(user))


def get_member_for_user(user, member_id):
    return get_object_or_404(members_for(user), pk=member_id)
