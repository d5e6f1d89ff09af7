"""Data exports: one client's history (CSV), and the clinic's de-identified files, made by a
background job (reports/jobs.py) and followed on their own page until they can be downloaded."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_admin_required, clinic_member_required
from reports import audit_actions as A
from reports import exports, jobs
from reports.models import Export
from screening import audit_actions as screening_actions
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


RECENT_EXPORTS = 20


@require_GET
@clinic_admin_required
def clinic_export(request):
    recent = Export.objects.filter(clinic_id=request.user.clinic_id).select_related("requested_by")[:RECENT_EXPORTS]
    return render(request, "reports/clinic_export.html", {
        "screenings": screenings_for(request.user).completed().count(),
        "kinds": Export.Kind.choices,
        "exports": [(export, _state(export)) for export in recent],
        "retention_days": request.user.clinic.export_retention_days,
    })


@require_POST
@clinic_admin_required
def export_request(request):
    kind = request.POST.get("kind", "")
    if kind not in Export.Kind.values:
        return HttpResponseBadRequest("Choose one of the export kinds on the exports page.")
    export, _created = jobs.request_export(request.user.clinic, request.user, kind, {}, Actor.from_request(request))
    return redirect("reports:export_detail", export_id=export.pk)


def _get_export(request, export_id):
    """The clinic's own export; another clinic's (or none) is a 404, audited like any refused record."""
    try:
        return get_object_or_404(Export.objects.select_related("clinic", "requested_by"), pk=export_id,
                                 clinic_id=request.user.clinic_id)
    except Http404:
        record(screening_actions.ACCESS_REFUSED, Actor.from_request(request), ref=("export", export_id),
               detail=request.path)
        raise


def _state(export):
    """What the pages and the JSON say of an export: a stale running one shows as failed."""
    status = jobs.shown_status(export)
    unit = jobs.FORMATS[export.kind][2]
    total = export.rows_total
    done = export.rows_done if status != Export.Status.READY else (total if total is not None else export.rows_done)
    return {
        "status": status,
        "status_text": "Failed: the worker stopped" if status != export.status else Export.Status(status).label,
        "rows_done": done,
        "rows_total": total,
        "unit": unit,
        "percent": round(100 * done / total) if total else (100 if status == Export.Status.READY else 0),
        "active": status in Export.ACTIVE,
        "ready": status == Export.Status.READY,
        "failed": status == Export.Status.FAILED,
    }


@require_GET
@clinic_admin_required
def export_detail(request, export_id):
    export = _get_export(request, export_id)
    return render(request, "reports/export_detail.html", {
        "export": export,
        "state": _state(export),
        "stale_seconds": settings.EXPORT_STALE_SECONDS,
        "filename": _filename(export),
    })


@require_GET
@clinic_admin_required
def export_status(request, export_id):
    """The export's progress, for static/js/export_progress.js (polled about every second)."""
    export = _get_export(request, export_id)
    state = _state(export)
    return JsonResponse({
        "status": state["status"],
        "status_text": state["status_text"],
        "rows_done": state["rows_done"],
        "rows_total": state["rows_total"],
        "unit": state["unit"],
        "percent": state["percent"],
        "download_url": reverse("reports:export_download", args=[export.pk]) if state["ready"] else None,
    })


def _filename(export):
    day = timezone.localtime(export.finished_at or export.requested_at).date()
    what = "scores" if export.kind == Export.Kind.SCORES_XLSX else "items"
    return f"clinic-{what}-{day.isoformat()}{jobs.FORMATS[export.kind][0]}"


@require_GET
@clinic_admin_required
def export_download(request, export_id):
    export = _get_export(request, export_id)
    if jobs.shown_status(export) != Export.Status.READY:
        return redirect("reports:export_detail", export_id=export.pk)
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404("This export's file is no longer kept.") from None
    record(A.EXPORT_DOWNLOADED, Actor.from_request(request), obj=export,
           detail=f"{export.kind}, sha256 {export.sha256[:16]}…")
    response = FileResponse(handle, as_attachment=True, filename=_filename(export),
                            content_type=jobs.FORMATS[export.kind][1])
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@clinic_admin_required
def export_retry(request, export_id):
    export = _get_export(request, export_id)
    new, _created = jobs.retry_export(export, request.user, Actor.from_request(request))
    return redirect("reports:export_detail", export_id=new.pk)


@require_GET
@clinic_admin_required
def clinic_export_csv(request, what):
    screenings = screenings_for(request.user)
    frames = exports.score_frames(screenings) if what == "screenings" else exports.item_frames(screenings)
    record(A.EXPORTED, Actor.from_request(request), detail=f"clinic {what} CSV (de-identified)")
    return _csv_response(exports.csv_chunks(frames), f"clinic-{what}-{timezone.localdate()}.csv")
