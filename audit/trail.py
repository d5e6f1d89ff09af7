"""Writing the audit trail. Services call record() inside their own transaction, and only when the
action happened; views call it for what they show (a record viewed, a report downloaded)."""

from audit import actions
from audit.models import AuditEvent


def record(action, actor, *, obj=None, ref=None, client_id=None, clinic_id=None, detail=""):
    """One row: `actor` is a clinicians.actors.Actor; `obj` the record acted on (kept by type and id),
    or `ref`, a (type, id) pair naming a record that was asked for but not loaded (a refusal).

    A record about a client says so with an `audit_client_id` attribute (Client, Screening, flag).
    """
    if not actions.is_registered(action):
        raise ValueError(f"Unregistered audit action {action!r}: add it to the owning app's audit_actions.py")
    user = actor.user
    if client_id is None and obj is not None:
        client_id = getattr(obj, "audit_client_id", None)
    return AuditEvent.objects.create(
        actor=user,
        actor_email=user.email if user is not None else actor.email[:254],
        clinic_id=clinic_id or actor.clinic_id or getattr(obj, "clinic_id", None),
        action=action,
        object_type=obj.__class__.__name__.lower() if obj is not None else ref[0] if ref else "",
        object_id=str(obj.pk) if obj is not None else str(ref[1]) if ref else "",
        client_id=client_id,
        ip_address=actor.ip,
        detail=detail[:200],
    )
