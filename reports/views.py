from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinicians import audit
from clinicians.decorators import clinic_member_required
from clinicians.models import AuditEvent
from clinicians.scoping import get_screening_for_user
from reports.data import build_intake_report
from reports.pdf import IntakeReportPDF
from reports.summary import intake_note_summary
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
    response = HttpResponse(IntakeReportPDF(report).render(), content_type="application/pdf")
    filename = f"screening-{report.client_code}-{report.date}.pdf".replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
