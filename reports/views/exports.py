"""Data exports: one client's history (CSV) and the clinic's de-identified files (CSV, XLSX)."""

import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_admin_required, clinic_member_required
from reports import audit_actions as A
from reports import exports
from screening.instrument import CURRENT_KEY
from screening.scoping import get_client_for_user, screenings_for


def _csv_response(chunks, filename):
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename.replace("/", "-")}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@clinic_member_required
def client_history_csv(request, client_id):
    client = get_client_for_user(request, client_id)
    record(A.EXPORTED, Actor.from_request(request), obj=client, detail="client history CSV")
    frames = exports.score_frames(client.screenings.all(), client_label=client.code)
    return _csv_response(exports.csv_chunks(frames), f"history-{client.code}-{timezone.localdate()}.csv")


@require_GET
@clinic_admin_required
def clinic_export(request):
    return render(request, "reports/clinic_export.html", {
        "screenings": screenings_for(request.user).completed().count(),
    })


@require_GET
@clinic_admin_required
def clinic_export_csv(request, what):
    screenings = screenings_for(request.user)
    frames = exports.score_frames(screenings) if what == "screenings" else exports.item_frames(screenings)
    record(A.EXPORTED, Actor.from_request(request), detail=f"clinic {what} CSV (de-identified)")
    return _csv_response(exports.csv_chunks(frames), f"clinic-{what}-{timezone.localdate()}.csv")


@require_GET
@clinic_admin_required
def clinic_export_xlsx(request):
    screenings = screenings_for(request.user)
    keys = sorted(set(screenings.completed().values_list("instrument_key", flat=True))) or [CURRENT_KEY]
    target = tempfile.TemporaryFile()
    exports.write_xlsx(target, screenings, keys)
    target.seek(0)
    record(A.EXPORTED, Actor.from_request(request), detail="clinic XLSX (de-identified)")
    response = FileResponse(
        target, as_attachment=True, filename=f"clinic-export-{timezone.localdate()}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "no-store"
    return response
