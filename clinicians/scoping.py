"""The one place that decides which clients and screenings a clinician may see.

Every view that touches client data goes through these functions. Someone outside the clinic gets
a 404 for a record that exists, exactly as for one that does not: existence itself is not leaked.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from screening.models import Client, Screening


def _clinic_id(user):
    if not user.is_authenticated or not user.is_active or user.clinic_id is None:
        # Views are behind clinic_member_required; this guards any caller that is not.
        raise PermissionDenied("This account is not a member of a clinic.")
    return user.clinic_id


def clients_for(user):
    return Client.objects.filter(clinic_id=_clinic_id(user))


def screenings_for(user):
    return Screening.objects.filter(client__clinic_id=_clinic_id(user))


def get_client_for_user(user, client_id):
    return get_object_or_404(clients_for(user), pk=client_id)


def get_screening_for_user(user, screening_id, for_update=False):
    qs = screenings_for(user).select_related("client", "client__clinic", "clinician")
    if for_update:
        # of=("self",) keeps PostgreSQL from refusing FOR UPDATE across the nullable joins.
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs, pk=screening_id)
