import tempfile

from django.contrib import messages
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinicians import audit
from clinicians.decorators import clinic_admin_required, clinic_member_required
from clinicians.models import AuditEvent
from clinicians.scoping import get_client_for_user, get_screening_for_user, screenings_for
from reports import exports
from reports.data import build_intake_report
from reports.pdf import IntakeReportPDF
from reports.progress_data import build_progress_report
from reports.progress_pdf import ProgressReportPDF
from reports.summary import intake_note_summary
from screening.forms_progress import DateRangeForm
from screening.instrument import CURRENT_KEY
from screening.steps import BONDS


def _completed_screening_or_redirect(request, screening_id):
    screening = get_screening_for_user(request.user, screening_id)
    if screening.is_draft:
        messages.info(request, "This screening is not finished yet; results appear once it is completed.")
        return screening, redirect("screening_step", screening_id=screening.id, step=BONDS)
    return screening, None


@require_GET
@never_cache
@clinic_member_required
def results(request, screening_id):
    screening, redirect_response = _completed_screening_or_redirect(request, screening_id)
    if redirect_response:
        return redirect_response
    report = build_intake_report(screening)
    audit.record(request, AuditEvent.Action.RESULTS_VIEWED, obj=screening)
    return render(request, "reports/results.html", {
        "screening": screening, "client": screening.client, "report": report,
        "summary": intake_note_summary(report),
    })


@require_GET
@never_cache
@clinic_member_required
def intake_pdf(request, screening_id):
    screening, redirect_response = _completed_screening_or_redirect(request, screening_id)
    if redirect_response:
        return redirect_response
    report = build_intake_report(screening)
    audit.record(request, AuditEvent.Action.REPORT_DOWNLOADED, obj=screening, detail="intake PDF")
    return _pdf_attachment(IntakeReportPDF(report).render(), f"screening-{report.client_code}-{report.date}.pdf")


@require_GET
@never_cache
@clinic_member_required
def progress_pdf(request, client_id):
    client = get_client_for_user(request.user, client_id)
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return render(request, "400.html", {"message": f"The report's dates could not be used: {errors}"}, status=400)
    report = build_progress_report(client, request.user, form.cleaned_data["start"], form.cleaned_data["end"])
    audit.record(request, AuditEvent.Action.REPORT_DOWNLOADED, obj=client, detail="progress PDF")
    return _pdf_attachment(ProgressReportPDF(report).render(), f"progress-{client.code}-{report.generated}.pdf")


def _pdf_attachment(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename.replace("/", "-")}"'
    return response


def _csv_response(chunks, filename):
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename.replace("/", "-")}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@clinic_member_required
def client_history_csv(request, client_id):
    client = get_client_for_user(request.user, client_id)
    audit.record(request, AuditEvent.Action.EXPORT, obj=client, detail="client history CSV")
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
    audit.record(request, AuditEvent.Action.EXPORT, detail=f"clinic {what} CSV (de-identified)")
    return _csv_response(exports.csv_chunks(frames), f"clinic-{what}-{timezone.localdate()}.csv")


@require_GET
@clinic_admin_required
def clinic_export_xlsx(request):
    screenings = screenings_for(request.user)
    keys = sorted(set(screenings.completed().values_list("instrument_key", flat=True))) or [CURRENT_KEY]
    target = tempfile.TemporaryFile()
    exports.write_xlsx(target, screenings, keys)
    target.seek(0)
    audit.record(request, AuditEvent.Action.EXPORT, detail="clinic XLSX (de-identified)")
    response = FileResponse(
        target, as_attachment=True, filename=f"clinic-export-{timezone.localdate()}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "no-store"
    return response
