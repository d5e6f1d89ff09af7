"""A client's progress over re-screenings: the page with its trend charts, and the progress PDF."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_member_required
from reports import audit_actions as A
from reports.charts import svg, trend_drawing
from reports.forms import DateRangeForm
from reports.progress_data import build_progress_report
from reports.progress_pdf import ProgressReportPDF
from reports.views.intake import pdf_attachment
from screening import audit_actions as screening_actions
from screening.estimates import EstimateLookup
from screening.history import bond_titles, points
from screening.instrument import CURRENT_KEY, load_instrument
from screening.progress import bond_series, changes, relationships
from screening.scoping import get_client_for_user


@require_GET
@clinic_member_required
def client_progress(request, client_id):
    client = get_client_for_user(request, client_id)
    screenings = list(client.screenings.completed().select_related("clinician", "completed_by").order_by("completed_at"))
    latest_key = screenings[-1].instrument_key if screenings else CURRENT_KEY
    instrument = load_instrument(latest_key)
    history = points(screenings)
    charts = []
    for key, title in bond_titles(instrument):
        # One line per relationship: a new label starts a new chart, never joined to the old one.
        for relationship in relationships(history, key, latest_key):
            series = bond_series(history, key, latest_key, relationship)
            name = f"{title} ({relationship})" if relationship else title
            label = f"{name}: total and warning signs endorsed over {len(series)} screenings"
            charts.append({"title": name, "svg": svg(trend_drawing(series, name), label), "series": series})
    record(screening_actions.CLIENT_VIEWED, Actor.from_request(request), obj=client, detail="progress")
    # Where the checklist version changed: the first screening of each version after the first.
    version_changes = [(s.instrument_key, s.completed_at) for before, s in zip(screenings, screenings[1:])
                       if s.instrument_key != before.instrument_key]
    return render(request, "reports/client_progress.html", {
        "client": client,
        "version_changes": version_changes,
        "changes": changes(history, bond_titles(instrument), EstimateLookup.for_clinic(client.clinic_id)),
        "charts": charts,
        "count": len(screenings),
        "range_form": DateRangeForm(),
    })


@require_GET
@never_cache
@clinic_member_required
def progress_pdf(request, client_id):
    client = get_client_for_user(request, client_id)
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return render(request, "400.html", {"message": f"The report's dates could not be used: {errors}"}, status=400)
    report = build_progress_report(client, request.user, form.cleaned_data["start"], form.cleaned_data["end"])
    record(A.REPORT_DOWNLOADED, Actor.from_request(request), obj=client, detail="progress PDF")
    return pdf_attachment(ProgressReportPDF(report).render(), f"progress-{client.code}-{report.generated}.pdf")
