"""The clinic's audit trail, for clinic admins: a filtered page and the same rows as CSV."""

import csv

from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.models import AuditEvent
from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_admin_required
from clinicians.scoping import members_for
from reports import audit_actions as A
from reports.forms import AuditFilterForm
from reports.spreadsheet import safe_row
from screening.models import Client
from screening.scoping import clients_for


def _filtered(request):
    form = AuditFilterForm(request.GET or None, members=members_for(request.user), clients=clients_for(request.user))
    # A client's code only when the client is this clinic's own (a row never shows another clinic's code).
    code = Client.objects.filter(pk=OuterRef("client_id"), clinic_id=OuterRef("clinic_id")).values("code")[:1]
    events = (
        AuditEvent.objects.for_clinic(request.user.clinic_id).select_related("actor")
        .annotate(client_code=Subquery(code))
    )
    return form, form.filter(events)


@require_GET
@clinic_admin_required
def audit_trail(request):
    form, events = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reports/audit.html", {"form": form, "page": page, "query": query.urlencode()})


class _Echo:
    def write(self, value):
        return value


@require_GET
@clinic_admin_required
def audit_trail_csv(request):
    form, events = _filtered(request)
    if form.is_bound and not form.is_valid():
        # Never fall back to "everything" for a filter that could not be read.
        return render(request, "400.html", {"message": "The filter could not be used; nothing was exported. "
                                                       "Go back to the audit trail and choose the filter again."}, status=400)
    record(A.EXPORTED, Actor.from_request(request), detail="audit trail CSV")
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["time", "clinician", "email", "action", "object type", "object id", "client", "address", "detail"])
        for e in events.order_by("at", "id").iterator(chunk_size=2000):
            yield writer.writerow(safe_row([
                timezone.localtime(e.at).isoformat(timespec="seconds"), e.actor.get_full_name() if e.actor else "",
                e.actor_email, e.action, e.object_type, e.object_id, e.client_code or "",
                e.ip_address or "", e.detail,
            ]))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response
