"""A client's progress over re-screenings, their re-screening schedule, and amendments."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clinicians import audit
from clinicians.decorators import clinic_member_required
from clinicians.models import AuditEvent
from clinicians.scoping import get_client_for_user, get_screening_for_user, screenings_for
from reports.charts import svg, trend_drawing
from screening import services
from screening.forms import ItemsForm, item_field_name
from screening.forms_progress import AmendReasonForm, DateRangeForm, ScheduleForm
from screening.history import bond_titles, points
from screening.instrument import CURRENT_KEY, load_instrument
from screening.progress import bond_series, changes
from screening.scoring import PROTECTIVE, SAFETY


@require_GET
@clinic_member_required
def client_progress(request, client_id):
    client = get_client_for_user(request.user, client_id)
    screenings = list(client.screenings.completed().order_by("completed_at"))
    latest_key = screenings[-1].instrument_key if screenings else CURRENT_KEY
    instrument = load_instrument(latest_key)
    history = points(screenings)
    charts = []
    for key, title in bond_titles(instrument):
        series = bond_series(history, key, latest_key)
        if series:
            label = f"{title}: total and counts of stages and warning signs over {len(series)} screenings"
            charts.append({"title": title, "svg": svg(trend_drawing(series, title), label), "series": series})
    audit.record(request, AuditEvent.Action.CLIENT_VIEWED, obj=client, detail="progress")
    return render(request, "screening/client_progress.html", {
        "client": client,
        "changes": changes(history, bond_titles(instrument)),
        "charts": charts,
        "count": len(screenings),
        "range_form": DateRangeForm(),
    })


@require_http_methods(["GET", "POST"])
@clinic_member_required
def client_schedule(request, client_id):
    client = get_client_for_user(request.user, client_id)
    form = ScheduleForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        client = form.save(commit=False)
        discharged = form.cleaned_data["discharged"]
        if discharged and client.discharged_on is None:
            client.discharged_on = timezone.localdate()
        elif not discharged:
            client.discharged_on = None
        client.save(update_fields=["rescreen_interval_days", "discharged_on"])
        audit.record(request, AuditEvent.Action.CLIENT_SCHEDULE, obj=client,
                     detail=f"every {client.interval_days} days" + (f", discharged {client.discharged_on}" if client.discharged_on else ""))
        messages.success(request, f"Re-screening schedule of {client.code} saved.")
        return redirect("client_detail", client_id=client.id)
    return render(request, "screening/client_schedule.html", {"client": client, "form": form})


def _amend_forms(screening, data=None):
    instrument = screening.instrument
    current = screening.answer_map()
    sections = [(bond, instrument.bond_type(bond).title, instrument.items_for_bond(bond), instrument.frequency)
                for bond in screening.bonds_in_scope]
    sections += [(SAFETY, "Safety", instrument.safety_items, instrument.yes_no),
                 (PROTECTIVE, "Protective factors", instrument.protective_items, instrument.yes_no)]
    forms = []
    for section, title, items, options in sections:
        initial = {item_field_name(i.key): str(current[(section, i.key)]) for i in items if (section, i.key) in current}
        form = ItemsForm(data, items=items, options=options, initial=initial, prefix=section)
        forms.append({"section": section, "title": title, "form": form})
    return forms


@require_http_methods(["GET", "POST"])
@clinic_member_required
def screening_amend(request, screening_id):
    screening = get_screening_for_user(request.user, screening_id)
    if screening.is_draft:
        messages.info(request, "This screening is not completed yet: change its answers in the form.")
        return redirect("screening_step", screening_id=screening.id, step="bonds")
    reason_form = AmendReasonForm(request.POST or None)
    sections = _amend_forms(screening, request.POST or None)
    if request.method == "POST":
        valid = reason_form.is_valid() & all([s["form"].is_valid() for s in sections])
        if valid:
            try:
                services.amend_screening(
                    screening.id, screenings_for(request.user), request.user, reason_form.cleaned_data["reason"],
                    {s["section"]: s["form"].answers() for s in sections},
                )
            except services.NothingChanged:
                reason_form.add_error(None, "No answer was changed, so there is nothing to amend.")
            else:
                audit.record(request, AuditEvent.Action.SCREENING_AMENDED, obj=screening)
                messages.success(request, "The screening was amended; its scores were recalculated. The original answers are kept in its history.")
                return redirect("results", screening_id=screening.id)
    return render(request, "screening/amend.html", {
        "screening": screening, "client": screening.client, "reason_form": reason_form, "sections": sections,
    }, status=400 if request.method == "POST" else 200)
