from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def clinic_member_required(view):
    """Logged in, and a member of a clinic (site staff without a clinic see no client data)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.clinic_id is None:
            raise PermissionDenied("Your account is not attached to a clinic. Ask your clinic admin.")
        return view(request, *args, **kwargs)

    return wrapper


def clinic_admin_required(view):
    @wraps(view)
    @clinic_member_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_clinic_admin:
            raise PermissionDenied("Only a clinic admin can do this.")
        return view(request, *args, **kwargs)

    return wrapper
