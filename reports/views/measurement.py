"""The Measurement page, for clinic admins: the clinic's reliability estimates and their items, and the
item table as CSV. The figures are aggregates only; a clinician gets what the other admin-only pages give."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_admin_required
from reports import audit_actions as A
from reports.measurement import item_frame, measurement
from screening import reliability as R


@require_GET
@clinic_admin_required
def measurement_page(request):
    return render(request, "reports/measurement.html", {
        "bonds": measurement(request.user.clinic_id), "min_n": R.MIN_N, "provisional": R.PROVISIONAL,
        "threshold": R.THRESHOLD,
    })


@require_GET
@never_cache
@clinic_admin_required
def measurement_csv(request):
    frame = item_frame(measurement(request.user.clinic_id))
    record(A.EXPORTED, Actor.from_request(request), detail="measurement item table CSV")
    response = HttpResponse(frame.to_csv(index=False), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="measurement-{timezone.localdate():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response
