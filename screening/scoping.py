"""The one place that decides which clients, screenings and safety flags a user may see.

Clinic admins see every client of their clinic; clinicians see the clients assigned to them (or
every client, when the clinic says so). Nothing else in the project filters client data by clinic
or assignment.

Every view that touches client data goes through these functions. Someone outside the clinic gets
a 404 for a record that exists, exactly as for one that does not: existence itself is not leaked.

The get_*_for_user functions take the request: each refusal writes an audit row (who, which id, from
which address, on which page) under the asker's own clinic, so its admin sees their own people
probing. It is written for every refused id, one that exists nowhere included, and never names the
record's client or clinic: the trail is no way to learn whether an id exists elsewhere.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from audit.trail import record
from clinicians.actors import Actor
from clinicians.scoping import clinic_id_of
from screening import audit_actions as A
from screening.models import Client, SafetyFlag, Screening


def sees_every_client(user):
    return user.is_clinic_admin or user.clinic.all_clients_open


def clients_for(user):
    """A clinic admin sees every client of the clinic; a clinician those assigned to them, unless the
    clinic opens every client to every clinician."""
    clients = Client.objects.filter(clinic_id=clinic_id_of(user))
    if not sees_every_client(user):
        clients = clients.filter(assigned=user)
    return clients


def caseload_for(user):
    """The clients on a user's home page: a clinician's assigned clients; every client for an admin."""
    clients = clients_for(user)
    return clients if user.is_clinic_admin else clients.filter(assigned=user)


def screenings_for(user):
    screenings = Screening.objects.filter(client__clinic_id=clinic_id_of(user))
    if not sees_every_client(user):
        screenings = screenings.filter(client__assigned=user)
    return screenings


def flags_for(user):
    flags = SafetyFlag.objects.filter(client__clinic_id=clinic_id_of(user))
    if not sees_every_client(user):
        flags = flags.filter(client__assigned=user)
    return flags


def caseload_flags_for(user):
    """The open flags on a user's home page: of their caseload (every client, for a clinic admin)."""
    flags = flags_for(user).open()
    return flags if user.is_clinic_admin else flags.filter(client__assigned=user)


def _get_or_refuse(request, queryset, kind, record_id):
    try:
        return get_object_or_404(queryset, pk=record_id)
    except Http404:
        record(A.ACCESS_REFUSED, Actor.from_request(request), ref=(kind, record_id), detail=request.path)
        raise


def get_flag_for_user(request, flag_id):
    flags = flags_for(request.user).select_related("client", "screening")
    return _get_or_refuse(request, flags, "safetyflag", flag_id)


def get_client_for_user(request, client_id):
    return _get_or_refuse(request, clients_for(request.user).select_related("clinic"), "client", client_id)


def get_screening_for_user(request, screening_id, fields=()):
    """The screening with its client, clinic and clinicians; with `fields`, only those (of the screening,
    its client and clinic)."""
    if fields:
        qs = screenings_for(request.user).select_related("client__clinic").only(*fields)
    else:
        qs = screenings_for(request.user).select_related("client", "client__clinic", "clinician", "completed_by")
    return _get_or_refuse(request, qs, "screening", screening_id)
