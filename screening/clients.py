"""Client actions: adding a client, assigning clinicians, the re-screening schedule and discharge.
Each writes its audit row in its own transaction."""

from django.db import IntegrityError, transaction

from audit.trail import record
from screening import audit_actions as A


class DuplicateCode(Exception):
    """Another request added a client with the same code first."""


def create_client(form, actor):
    """Save a valid ClientForm; whoever adds a client is assigned to them."""
    try:
        with transaction.atomic():
            form.instance.created_by = actor.user
            client = form.save()
            client.assigned.add(actor.user)
            record(A.CLIENT_CREATED, actor, obj=client)
    except IntegrityError:
        # Another request added the same code between the form's check and this insert.
        raise DuplicateCode() from None
    return client


def assign(client, clinicians, actor):
    """Set who sees the client; returns whether it changed."""
    wanted = {user.pk for user in clinicians}
    if wanted == set(client.assigned.values_list("pk", flat=True)):
        return False
    with transaction.atomic():
        client.assigned.set(clinicians)
        names = ", ".join(u.email for u in clinicians) or "nobody"
        record(A.CLIENT_ASSIGNED, actor, obj=client, detail=names)
    return True


def discharge_date(discharged, already_on, today):
    """The rule for the discharge box: ticking keeps the first discharge date; unticking clears it."""
    if not discharged:
        return None
    return already_on or today


def set_schedule(client, interval_days, discharged, actor, today):
    """The client's own re-screening interval (None: the clinic's) and discharge; True when it changed."""
    with transaction.atomic():
        # As stored, not as on `client`: a ModelForm has already written its fields onto the instance.
        stored = type(client).objects.select_for_update().get(pk=client.pk)
        discharged_on = discharge_date(discharged, stored.discharged_on, today)
        client.rescreen_interval_days, client.discharged_on = interval_days, discharged_on
        if (stored.rescreen_interval_days, stored.discharged_on) == (interval_days, discharged_on):
            return False
        client.save(update_fields=["rescreen_interval_days", "discharged_on"])
        detail = f"every {client.interval_days} days" + (f", discharged {client.discharged_on}" if client.discharged_on else "")
        record(A.CLIENT_SCHEDULE_CHANGED, actor, obj=client, detail=detail)
    return True
