"""The home page, the client list, a client's page, and the client's assignment and schedule."""

import html

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_admin_required, clinic_member_required
from clinicians.forms import AssignmentForm
from screening import audit_actions as A
from screening import clients, schedule
from screening.forms.clients import ClientForm, ScheduleForm
from screening.estimates import EstimateLookup
from screening.history import bond_titles, history_row, local_date, points, timepoints
from screening.instrument import load_instrument
from screening.links import row_link
from screening.models import Screening
from screening.progress import changes
from screening.scoping import caseload_flags_for, caseload_for, clients_for, get_client_for_user, screenings_for

HOME_LIST_LIMIT = 25  # per group; a clinic admin's whole clinic can be thousands of clients
CLIENTS_PER_PAGE = 50


@require_GET
@clinic_member_required
def home(request):
    drafts = (
        screenings_for(request.user).drafts().filter(clinician=request.user)
        .select_related("client").order_by("-updated_at")
    )
    caseload = caseload_for(request.user).select_related("clinic").with_last_completed()
    groups, counts = schedule.group_caseload(caseload, timezone.localdate(), HOME_LIST_LIMIT)
    open_flags = caseload_flags_for(request.user).select_related("client", "screening").annotate(
        follow_up_count=Count("follow_ups")).in_tier_order()
    return render(request, "screening/home.html", {
        "drafts": drafts, "overdue": groups[schedule.OVERDUE], "due": groups[schedule.DUE],
        "never": groups[schedule.NEVER], "open_flags": open_flags, "counts": counts, "limit": HOME_LIST_LIMIT,
    })


@require_http_methods(["GET", "POST"])
@clinic_member_required
def client_list(request):
    # The search is posted, not put in the URL: client codes stay out of logs and browser history.
    query = request.POST.get("q", "").strip()[:40] if request.method == "POST" else ""
    found = clients_for(request.user).order_by("code")
    if query:
        found = found.filter(code__icontains=query)
    page = Paginator(found.values_list("id", "code"), CLIENTS_PER_PAGE).get_page(
        request.GET.get("page") if not query else 1)
    # Screening counts for this page's clients only: the work stays the same however big the clinic.
    counts = Screening.objects.counts_by_client([client_id for client_id, _code in page])
    never = {"completed": 0, "last_screened": None, "drafts": 0}
    # The rows as HTML made here: 50 rows of four cells through the template language cost more than the
    # rest of the page (a number printed by a template goes through localisation, 20 µs a cell; format_html
    # escapes every cell, 15 µs a row). The code is the only text a user typed, and is escaped; the other
    # cells are numbers, dates and links reversed once for the page.
    detail = row_link("screening:client_detail")
    rows = mark_safe("\n".join(_row(detail(client_id), code, counts.get(client_id, never)) for client_id, code in page))
    return render(request, "screening/client_list.html", {"rows": rows, "page": page, "query": query})


def _row(url, code, counts):
    last = f"{local_date(counts['last_screened']):%Y-%m-%d}" if counts["last_screened"] else "Never"
    return (f'<tr><td><a href="{url}">{html.escape(code)}</a></td><td>{counts["completed"]:d}</td><td>{last}</td>'
            f'<td>{"Draft" if counts["drafts"] else "—"}</td></tr>')


@require_http_methods(["GET", "POST"])
@clinic_member_required
def client_create(request):
    form = ClientForm(request.POST or None, clinic=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            client = clients.create_client(form, Actor.from_request(request))
        except clients.DuplicateCode:
            form.add_error("code", ClientForm.DUPLICATE)
        else:
            messages.success(request, f"Client {client.code} added.")
            return redirect("screening:client_detail", client_id=client.id)
    return render(request, "screening/client_form.html", {"form": form})


@require_GET
@clinic_member_required
def client_detail(request, client_id):
    client = get_client_for_user(request, client_id)
    # filed_reports: the reports app's relation, named, not imported (imports run screening → reports).
    screenings = list(client.screenings.select_related("clinician", "completed_by")
                      .prefetch_related("filed_reports").order_by("-started_at"))
    instrument = load_instrument()
    # The client is already scoped; its flags, oldest first, with how many follow-ups each has.
    flags = list(client.safety_flags.select_related("screening", "withdrawn_by").annotate(
        follow_up_count=Count("follow_ups")).order_by("raised_at"))
    completed = [s for s in screenings if not s.is_draft]
    marks = timepoints(completed)
    last = local_date(max(s.completed_at for s in completed)) if completed else None
    record(A.CLIENT_VIEWED, Actor.from_request(request), obj=client)
    return render(request, "screening/client_detail.html", {
        "change": latest_change(client, completed, marks),
        "client": client,
        "history": [history_row(s, instrument, marks) for s in screenings],
        "bond_types": instrument.bond_types,
        "draft": next((s for s in screenings if s.is_draft), None),
        "assigned": client.assigned.all(),
        "due": schedule.due_status(last, client.interval_days, timezone.localdate(), client.discharged_on),
        "has_screenings": bool(screenings),
        "flags": flags,
        "open_flags": sorted((f for f in flags if f.is_open), key=lambda f: (f.tier, f.raised_at)),
    })


def latest_change(client, completed, marks):
    """The latest completed re-screen compared with the previous completed screening of its checklist
    version (a screening.progress.Comparison, judged against the clinic's estimates), or None. Only those
    two screenings are compared, so the work does not grow with the client's history."""
    done = sorted(completed, key=lambda s: s.completed_at)
    if not done or done[-1].kind == Screening.Kind.INTAKE:
        return None
    latest = done[-1]
    pair = [s for s in done if s.instrument_key == latest.instrument_key][-2:]
    if len(pair) < 2:
        return None
    found = changes(points(pair, marks), bond_titles(load_instrument(latest.instrument_key)),
                    EstimateLookup.for_clinic(client.clinic_id))
    return found.since_first


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def client_assign(request, client_id):
    client = get_client_for_user(request, client_id)
    form = AssignmentForm(request.POST or None, clinic=request.user.clinic,
                          initial={"clinicians": client.assigned.all()})
    if request.method == "POST" and form.is_valid():
        clients.assign(client, form.cleaned_data["clinicians"], Actor.from_request(request))
        messages.success(request, f"Assignment of {client.code} saved.")
        return redirect("screening:client_detail", client_id=client.id)
    return render(request, "screening/client_assign.html", {"client": client, "form": form})


@require_http_methods(["GET", "POST"])
@clinic_member_required
def client_schedule(request, client_id):
    client = get_client_for_user(request, client_id)
    form = ScheduleForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        clients.set_schedule(
            client, form.cleaned_data["rescreen_interval_days"], form.cleaned_data["discharged"],
            Actor.from_request(request), timezone.localdate(),
        )
        messages.success(request, f"Re-screening schedule of {client.code} saved.")
        return redirect("screening:client_detail", client_id=client.id)
    return render(request, "screening/client_schedule.html", {"client": client, "form": form})
