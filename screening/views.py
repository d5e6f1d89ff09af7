from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicians import audit
from clinicians.decorators import clinic_admin_required, clinic_member_required
from clinicians.forms import AssignmentForm
from clinicians.models import AuditEvent
from clinicians.scoping import (
    caseload_flags_for, caseload_for, clients_for, get_client_for_user, get_screening_for_user, screenings_for,
)
from screening import schedule, services
from screening.forms import BondsForm, ClientForm, ItemsForm, NotesForm, item_field_name
from screening.history import local_date
from screening.instrument import BOND_TYPES, load_instrument
from screening.models import Screening
from screening.scoring import PROTECTIVE, SAFETY, unanswered_items
from screening.steps import BONDS, REVIEW, all_step_slugs, neighbours, steps_for


def bad_request(request, message):
    if _is_autosave(request):
        return _autosave_refused(400, message)
    return render(request, "400.html", {"message": message}, status=400)


HOME_LIST_LIMIT = 25  # per group; a clinic admin's whole clinic can be thousands of clients


@require_GET
@clinic_member_required
def home(request):
    drafts = (
        screenings_for(request.user).drafts().filter(clinician=request.user)
        .select_related("client").order_by("-updated_at")
    )
    today = timezone.localdate()
    caseload = caseload_for(request.user).select_related("clinic").annotate(
        last_completed=Max("screenings__completed_at", filter=Q(screenings__status="complete")),
    )
    groups = {schedule.OVERDUE: [], schedule.DUE: [], schedule.NEVER: []}
    for client in caseload:
        last = local_date(client.last_completed) if client.last_completed else None
        due = schedule.due_status(last, client.interval_days, today, client.discharged_on)
        if due.status in groups:
            groups[due.status].append({"client": client, "due": due, "last": last})
    groups[schedule.OVERDUE].sort(key=lambda row: -row["due"].days)
    groups[schedule.DUE].sort(key=lambda row: row["due"].days)
    counts = {status: len(rows) for status, rows in groups.items()}
    groups = {status: rows[:HOME_LIST_LIMIT] for status, rows in groups.items()}
    open_flags = caseload_flags_for(request.user).select_related("client").annotate(
        follow_up_count=Count("follow_ups")).order_by("raised_at")
    return render(request, "screening/home.html", {
        "drafts": drafts, "overdue": groups[schedule.OVERDUE], "due": groups[schedule.DUE],
        "never": groups[schedule.NEVER], "open_flags": open_flags, "counts": counts, "limit": HOME_LIST_LIMIT,
    })


@require_http_methods(["GET", "POST"])
@clinic_member_required
def client_list(request):
    # The search is posted, not put in the URL: client codes stay out of logs and browser history.
    query = request.POST.get("q", "").strip()[:40] if request.method == "POST" else ""
    clients = clients_for(request.user).order_by("code")
    if query:
        clients = clients.filter(code__icontains=query)
    page = Paginator(clients, 50).get_page(request.GET.get("page") if not query else 1)
    # Screening counts for this page's clients only: the work stays the same however big the clinic.
    ids = [client.id for client in page]
    counts = {
        row["client_id"]: row for row in Screening.objects.filter(client_id__in=ids).values("client_id").annotate(
            completed=Count("id", filter=Q(status="complete")),
            last_screened=Max("completed_at"),
            drafts=Count("id", filter=Q(status="draft")),
        ).order_by()
    }
    never = {"completed": 0, "last_screened": None, "drafts": 0}
    for client in page:
        row = counts.get(client.id, never)
        client.completed, client.last_screened, client.drafts = row["completed"], row["last_screened"], row["drafts"]
    return render(request, "screening/client_list.html", {"clients": page, "page": page, "query": query})


@require_http_methods(["GET", "POST"])
@clinic_member_required
def client_create(request):
    form = ClientForm(request.POST or None, clinic=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.instance.created_by = request.user
                client = form.save()
                client.assigned.add(request.user)  # whoever adds a client is assigned to them
        except IntegrityError:
            # Another request added the same code between the form's check and this insert.
            form.add_error("code", ClientForm.DUPLICATE)
        else:
            audit.record(request, AuditEvent.Action.CLIENT_CREATED, obj=client)
            messages.success(request, f"Client {client.code} added.")
            return redirect("client_detail", client_id=client.id)
    return render(request, "screening/client_form.html", {"form": form})


@require_GET
@clinic_member_required
def client_detail(request, client_id):
    client = get_client_for_user(request.user, client_id)
    screenings = list(client.screenings.select_related("clinician").order_by("-started_at"))
    instrument = load_instrument()
    history = [history_row(s, instrument) for s in screenings]
    # The client is already scoped; its flags, oldest first, with how many follow-ups each has.
    flags = list(client.safety_flags.select_related("screening").annotate(
        follow_up_count=Count("follow_ups")).order_by("raised_at"))
    completed = [s for s in screenings if not s.is_draft]
    last = local_date(max(s.completed_at for s in completed)) if completed else None
    audit.record(request, AuditEvent.Action.CLIENT_VIEWED, obj=client)
    return render(request, "screening/client_detail.html", {
        "client": client,
        "history": history,
        "bond_types": instrument.bond_types,
        "draft": next((s for s in screenings if s.is_draft), None),
        "assigned": client.assigned.all(),
        "due": schedule.due_status(last, client.interval_days, timezone.localdate(), client.discharged_on),
        "has_screenings": bool(screenings),
        "flags": flags,
        "open_flags": [f for f in flags if f.is_open],
    })


def history_row(screening, instrument):
    """One line of a client's history: per bond total, stages and signs present, and the flags."""
    scores = screening.stored_scores()
    bonds = [scores.bond(b.key) if scores else None for b in instrument.bond_types]
    return {"screening": screening, "bonds": bonds, "flags": [f.flag for f in scores.flags] if scores else []}


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def client_assign(request, client_id):
    client = get_client_for_user(request.user, client_id)
    form = AssignmentForm(request.POST or None, clinic=request.user.clinic,
                          initial={"clinicians": client.assigned.all()})
    if request.method == "POST" and form.is_valid():
        client.assigned.set(form.cleaned_data["clinicians"])
        names = ", ".join(u.email for u in form.cleaned_data["clinicians"]) or "nobody"
        audit.record(request, AuditEvent.Action.CLIENT_ASSIGNED, obj=client, detail=names)
        messages.success(request, f"Assignment of {client.code} saved.")
        return redirect("client_detail", client_id=client.id)
    return render(request, "screening/client_assign.html", {"client": client, "form": form})


@require_POST
@clinic_member_required
def screening_start(request, client_id):
    client = get_client_for_user(request.user, client_id)
    screening, created = services.start_screening(client, request.user)
    if created:
        audit.record(request, AuditEvent.Action.SCREENING_CREATED, obj=screening)
    else:
        messages.info(request, "This client already has a screening in progress; it has been resumed.")
    return redirect("screening_step", screening_id=screening.id, step=BONDS)


LOCKED = "This screening is completed and locked; its answers can no longer change."


def _locked_redirect(request, screening):
    if _is_autosave(request):
        return _autosave_refused(409, LOCKED)
    messages.info(request, LOCKED)
    return redirect("results", screening_id=screening.id)


def _autosave_refused(status, message):
    return JsonResponse({"saved": 0, "message": message, "errors": {}}, status=status)


@require_http_methods(["GET", "POST"])
@clinic_member_required
def screening_step(request, screening_id, step):
    screening = get_screening_for_user(request.user, screening_id)
    if step not in all_step_slugs():
        raise Http404("There is no such step in a screening.")
    if not screening.is_draft:
        return _locked_redirect(request, screening)
    instrument = screening.instrument
    steps = steps_for(instrument, screening.bonds_in_scope)
    out_of_order = None
    if step != BONDS and not screening.bonds_in_scope:
        out_of_order = "First choose which bond or bonds this screening covers."
    elif step in BOND_TYPES and step not in screening.bonds_in_scope:
        out_of_order = "That bond is not in scope for this screening. Add it here first if it should be screened."
    if out_of_order:
        if _is_autosave(request):
            return _autosave_refused(409, out_of_order)
        messages.warning(request, out_of_order)
        return redirect("screening_step", screening_id=screening.id, step=BONDS)

    if request.method == "POST" and request.POST.get("instrument") != screening.instrument_key:
        return bad_request(request, (
            f"This form was made for another version of the checklist than this screening uses "
            f"({screening.instrument_key}). Nothing was saved from it; reload the page and answer again."
        ))

    if step == BONDS:
        return _bonds_step(request, screening, steps)
    if step == REVIEW:
        return _review_step(request, screening, steps)
    return _items_step(request, screening, steps, step)


def _form_fields(form):
    return {name: form.cleaned_data[name] for name in form._meta.fields}


def _step_context(screening, steps, step, **extra):
    previous, following = neighbours(steps, step)
    return {"screening": screening, "client": screening.client, "steps": steps, "step": step,
            "previous": previous, "next": following, "instrument": screening.instrument, **extra}


def _is_autosave(request):
    return bool(request.headers.get("X-Autosave"))


def _autosaved(saved=None, errors=None):
    body = {"saved": saved, "at": timezone.localtime().strftime("%H:%M:%S"), "errors": errors or {}}
    return JsonResponse(body, status=400 if errors else 200)


def _after_save(request, screening, steps, step):
    if _is_autosave(request):
        return _autosaved()
    previous, following = neighbours(steps, step)
    target = previous if "back" in request.POST else following
    if "stay" in request.POST or target is None:
        messages.success(request, "Draft saved.")
        target_slug = step
    else:
        target_slug = target.slug
    return redirect("screening_step", screening_id=screening.id, step=target_slug)


def _save_draft_form(request, screening, step, form):
    """POST of a step whose form edits the draft itself (bonds, notes): a response, or None to show errors."""
    if form.is_valid():
        try:
            services.update_draft(screening, _form_fields(form))
        except services.ScreeningLocked:
            return _locked_redirect(request, screening)
        # The steps again: choosing bonds changes them.
        return _after_save(request, screening, steps_for(screening.instrument, screening.bonds_in_scope), step)
    if _is_autosave(request):
        return _autosaved(errors=form.errors.get_json_data())
    return None


def _bonds_step(request, screening, steps):
    form = BondsForm(request.POST or None, instance=screening, instrument=screening.instrument)
    if request.method == "POST" and (response := _save_draft_form(request, screening, BONDS, form)):
        return response
    return render(request, "screening/step_bonds.html", _step_context(screening, steps, BONDS, form=form))


def _items_for(instrument, step):
    if step in BOND_TYPES:
        return instrument.items_for_bond(step), instrument.frequency
    if step == SAFETY:
        return instrument.safety_items, instrument.yes_no
    return instrument.protective_items, instrument.yes_no


def _items_step(request, screening, steps, step):
    instrument = screening.instrument
    items, options = _items_for(instrument, step)
    if request.method == "POST":
        known = {item_field_name(item.key) for item in items}
        foreign = sorted(k for k in request.POST if k.startswith("item-") and k not in known)
        if foreign:
            return bad_request(request, (
                f"This form contains {len(foreign)} question(s) that are not part of this step of "
                f"checklist {screening.instrument_key}. Nothing was saved from it; reload the page and answer again."
            ))
        form = ItemsForm(request.POST, items=items, options=options)
        valid = form.is_valid()
        try:
            saved = services.save_answers(screening, step, form.answers())
        except services.ScreeningLocked:
            return _locked_redirect(request, screening)
        if _is_autosave(request):
            return _autosaved(saved, form.errors.get_json_data())
        if valid:
            return _after_save(request, screening, steps, step)
        messages.error(request, "Some answers were not saved: see the questions marked below. The rest were saved.")
    else:
        current = {key: value for (section, key), value in screening.answer_map().items() if section == step}
        form = ItemsForm(initial={item_field_name(k): str(v) for k, v in current.items()}, items=items, options=options)
    intro = {
        SAFETY: "Asked once, whatever bonds are in scope. Every “Yes” raises an urgent flag with crisis resources.",
        PROTECTIVE: "Asked once. Strengths and supports the client has now.",
    }.get(step, f"Asked about this bond over {instrument.period}.")
    return render(request, "screening/step_items.html", _step_context(
        screening, steps, step, form=form, intro=intro, bond_label=screening.bond_label(step) if step in BOND_TYPES else "",
    ))


def _review_step(request, screening, steps):
    form = NotesForm(request.POST or None, instance=screening)
    if request.method == "POST" and (response := _save_draft_form(request, screening, REVIEW, form)):
        return response
    return render(request, "screening/review.html", _review_context(screening, steps, form))


def _review_context(screening, steps, form, problems=None, confirm_error=""):
    instrument = screening.instrument
    answers = screening.answer_map()
    if problems is None:
        problems = unanswered_items(instrument, screening.bonds_in_scope, answers)
    titles = {s.slug: s.title for s in steps}
    missing = [
        {"step": section, "step_title": titles.get(section, section), "key": key,
         "text": instrument.item_text(key) if key else "", "anchor": item_field_name(key) if key else ""}
        for section, key in problems
    ]
    progress = []
    for step in steps:
        if step.is_item_step:
            total = len(instrument.item_keys(step.slug))
            done = sum(1 for (section, _key) in answers if section == step.slug)
            progress.append({"step": step, "done": done, "total": total})
    return _step_context(screening, steps, REVIEW, form=form, missing=missing, progress=progress,
                         confirm_error=confirm_error)


@require_POST
@clinic_member_required
def screening_complete(request, screening_id):
    screening = get_screening_for_user(request.user, screening_id)
    if not screening.is_draft:
        messages.info(request, "This screening was already completed.")
        return redirect("results", screening_id=screening.id)
    steps = steps_for(screening.instrument, screening.bonds_in_scope)
    notes = NotesForm(request.POST if "notes" in request.POST else None, instance=screening)
    if notes.is_bound:
        if not notes.is_valid():
            return render(request, "screening/review.html", _review_context(screening, steps, notes), status=400)
        try:  # typed notes are kept whether or not completion succeeds
            services.update_draft(screening, _form_fields(notes))
        except services.ScreeningLocked:
            messages.info(request, "This screening was already completed.")
            return redirect("results", screening_id=screening.id)
    if request.POST.get("confirm") != "1":
        context = _review_context(screening, steps, notes,
                                  confirm_error="Tick this box to confirm that the screening should be locked.")
        return render(request, "screening/review.html", context, status=400)
    screening, problems = services.complete_screening(screening.id, screenings_for(request.user), request.user)
    if problems:
        messages.error(request, f"{len(problems)} question(s) still need an answer, or “Declined / not asked”, before the screening can be completed.")
        context = _review_context(screening, steps, notes, problems)
        context["refused"] = True
        return render(request, "screening/review.html", context, status=400)
    audit.record(request, AuditEvent.Action.SCREENING_COMPLETED, obj=screening)
    messages.success(request, "Screening completed and locked.")
    return redirect("results", screening_id=screening.id)


@require_http_methods(["GET", "POST"])
@clinic_member_required
def screening_discard(request, screening_id):
    screening = get_screening_for_user(request.user, screening_id)
    if not screening.is_draft:
        return _locked_redirect(request, screening)
    if request.method == "POST":
        if not services.discard_draft(screening):
            return _locked_redirect(request, screening)  # completed in another tab meanwhile
        audit.record(request, AuditEvent.Action.SCREENING_DISCARDED, obj=screening, client=screening.client)
        messages.success(request, "The unfinished screening was discarded.")
        return redirect("client_detail", client_id=screening.client_id)
    return render(request, "screening/discard_confirm.html", {"screening": screening, "client": screening.client})
