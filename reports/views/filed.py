"""The filed intake reports of a screening: download one (the exact bytes kept when it was filed),
and ask again for the filing of the current version when its job failed or was lost."""

import base64
import logging

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_member_required
from reports import audit_actions as A
from reports.filing import FilingState, filing_state, request_filing, sha256_of_stored
from reports.models import FiledReport, report_storage
from screening.scoping import get_screening_for_user
from screening.steps import BONDS

logger = logging.getLogger(__name__)


@require_GET
@never_cache
@clinic_member_required
def filed_report(request, screening_id, version):
    screening = get_screening_for_user(request, screening_id)  # another clinic's, or not assigned: 404
    try:
        filed = screening.filed_reports.get(version=version)
    except FiledReport.DoesNotExist:
        raise Http404("No filed report of this version.") from None
    try:
        # Checked before it is served: bytes that are not the ones filed are never passed off as them.
        # (The "reports" storage as configured now, not the one the field captured when models loaded.)
        actual = sha256_of_stored(filed.file.name)
        stored = report_storage().open(filed.file.name, "rb")
    except FileNotFoundError:
        logger.error("Filed report %s (screening %s v%s): file %s is missing", filed.pk, screening.pk, version,
                     filed.file.name)
        raise Http404("The filed report's file is missing; `manage.py verify_reports` lists it.") from None
    if actual != filed.sha256:
        stored.close()
        logger.error("Filed report %s (screening %s v%s) differs from its SHA-256: expected %s, got %s",
                     filed.pk, screening.pk, version, filed.sha256, actual)
        return render(request, "reports/filed_report_damaged.html", {"screening": screening, "filed": filed},
                      status=500)
    filed.screening = screening
    record(A.FILED_REPORT_DOWNLOADED, Actor.from_request(request), obj=filed,
           detail=f"version {version}, SHA-256 {filed.sha256[:16]}…")
    response = FileResponse(stored, as_attachment=True, content_type="application/pdf",
                            filename=f"screening-{screening.client.code.replace('/', '-')}-filed-v{version}.pdf")
    # The digest of the bytes as filed (RFC 9530), so a download can be checked against the page.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(filed.sha256)).decode()}:"
    return response


@require_POST
@clinic_member_required
def file_report_again(request, screening_id):
    screening = get_screening_for_user(request, screening_id)
    if screening.is_draft:
        return redirect("screening:screening_step", screening_id=screening.id, step=BONDS)
    state = filing_state(screening)
    if state.status == FilingState.FILED:
        messages.info(request, "This version of the report is filed already.")
    elif not state.can_retry:
        messages.info(request, "The report is being filed; this page shows it once it is done.")
    else:
        request_filing(screening, state.version)
        record(A.FILING_REQUESTED, Actor.from_request(request), obj=screening, detail=f"version {state.version}")
        messages.success(request, "The report is being filed again.")
    return redirect("reports:results", screening_id=screening.id)
