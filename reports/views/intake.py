"""A completed screening's results page and its intake PDF."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_member_required
from reports import audit_actions as A
from reports.data import build_intake_report
from reports.pdf import IntakeReportPDF
from reports.results_page import LEAN_FIELDS, results_parts
from screening.scoping import get_screening_for_user
from screening.steps import BONDS


def _completed_screening_or_redirect(request, screening_id, fields=()):
    screening = get_screening_for_user(request, screening_id, fields)
    if screening.is_draft:
        messages.info(request, "This screening is not finished yet; results appear once it is completed.")
        return screening, redirect("screening:screening_step", screening_id=screening.id, step=BONDS)
    return screening, None


def pdf_attachment(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename.replace("/", "-")}"'
    return response


@require_GET
@never_cache
@clinic_member_required
def results(request, screening_id):
    screening, redirect_response = _completed_screening_or_redirect(request, screening_id, LEAN_FIELDS)
    if redirect_response:
        return redirect_response
    parts, filing = results_parts(screening)
    record(A.RESULTS_VIEWED, Actor.from_request(request), obj=screening)
    return render(request, "reports/results.html", {
        "screening": screening, "client": screening.client, "parts": parts, "filing": filing,
    })


@require_GET
@never_cache
@clinic_member_required
def intake_pdf(request, screening_id):
    screening, redirect_response = _completed_screening_or_redirect(request, screening_id)
    if redirect_response:
        return redirect_response
    report = build_intake_report(screening)
    record(A.REPORT_DOWNLOADED, Actor.from_request(request), obj=screening, detail="intake PDF")
    return pdf_attachment(IntakeReportPDF(report).render(), f"screening-{report.client_code}-{report.date}.pdf")
