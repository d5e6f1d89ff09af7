"""Giving a screening: start, the steps (HTML), autosave (JSON), complete, discard."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_member_required
from screening import audit_actions as A
from screening import selfreport, services
from screening.forms.steps import BondsForm, ItemsForm, NotesForm, item_field_name, reason_field_name
from screening.models import Screening
from screening.instrument import BOND_TYPES, NO_ANSWER_STATES, SECTION_KEYS
from screening.scoping import get_client_for_user, get_screening_for_user, screenings_for
from screening.scoring import unanswered_items
from screening.steps import BONDS, REVIEW, all_step_slugs, neighbours, section_progress, steps_for

LOCKED = "This screening is completed and locked; its answers can no longer change."
CHOOSE_BONDS = "First choose which bond or bonds this screening covers."
BOND_NOT_IN_SCOPE = "That bond is not in scope for this screening. Add it here first if it should be screened."
INTROS = {
    "safety": ("Asked once, whatever bonds are in scope. Every “Yes” raises a flag as soon as it is saved, marked "
               "“Act this session” or “Follow up”; a question declined or not asked needs a short reason."),
    "protective": "Asked once. Strengths and supports the client has now.",
}


class Refusal(Exception):
    """A request this step cannot take: the status and a message, shown as a page or as JSON.
    go_to: where the page sends the user instead ("results", "bonds"), or "" for a readable 400."""

    def __init__(self, status, message, go_to=""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.go_to = go_to


def _locked():
    return Refusal(409, LOCKED, go_to="results")


def _wrong_version(screening):
    return Refusal(400, (
        f"This form was made for another version of the checklist than this screening uses "
        f"({screening.instrument_key}). Nothing was saved from it; reload the page and answer again."
    ))


def _check_step(screening, step, data=None):
    """Refuse a step that does not exist, is out of order, or a post made for another version or step."""
    if step not in all_step_slugs():
        raise Http404("There is no such step in a screening.")
    if not screening.is_draft:
        raise _locked()
    if step != BONDS and not screening.bonds_in_scope:
        raise Refusal(409, CHOOSE_BONDS, go_to="bonds")
    if step in BOND_TYPES and step not in screening.bonds_in_scope:
        raise Refusal(409, BOND_NOT_IN_SCOPE, go_to="bonds")
    if data is None:
        return
    if data.get("instrument") != screening.instrument_key:
        raise _wrong_version(screening)
    if step in SECTION_KEYS:
        items = screening.instrument.section(step, screening.is_intake).items
        known = {name for item in items for name in (item_field_name(item.key), reason_field_name(item.key))}
        foreign = sorted(k for k in data if k.startswith(("item-", "reason-")) and k not in known)
        if foreign:
            raise Refusal(400, (
                f"This form contains {len(foreign)} question(s) that are not part of this step of "
                f"checklist {screening.instrument_key}. Nothing was saved from it; reload the page and answer again."
            ))


def _form_for(screening, step, data=None):
    """The step's form: bonds, one section's items, or the review's notes."""
    if step == BONDS:
        return BondsForm(data, instance=screening, instrument=screening.instrument)
    if step == REVIEW:
        return NotesForm(data, instance=screening)
    section = screening.instrument.section(step, screening.is_intake)
    answers, reasons = screening.answers_and_reasons() if data is None else (None, None)
    client_answers = {}
    if screening.self_report:
        client_answers = {a.item_key: a for a in screening.answers.filter(section=step).exclude(client_answer="")}
    return ItemsForm(data, section=section, instrument=screening.instrument, intake=screening.is_intake,
                     answers=answers, reasons=reasons, client_answers=client_answers)


def _save(screening, step, form, actor):
    """Save what the form holds that is valid; returns how many answers were written (None for draft fields).

    A partly wrong items post still saves its valid answers. Raises ScreeningLocked."""
    if isinstance(form, ItemsForm):
        form.is_valid()
        return services.save_answers(screening, step, form.answers(), form.reasons(), actor)
    if form.is_valid():
        services.update_draft(screening, {name: form.cleaned_data[name] for name in form._meta.fields})
    return None


@require_POST
@clinic_member_required
def screening_start(request, client_id):
    client = get_client_for_user(request, client_id)
    screening, created = services.start_screening(client, Actor.from_request(request))
    if not created:
        messages.info(request, "This client already has a screening in progress; it has been resumed.")
    return redirect("screening:screening_step", screening_id=screening.id, step=BONDS)


def _refused_page(request, screening, refusal):
    if refusal.go_to == "results":
        messages.info(request, refusal.message)
        return redirect("reports:results", screening_id=screening.id)
    if refusal.go_to == "bonds":
        messages.warning(request, refusal.message)
        return redirect("screening:screening_step", screening_id=screening.id, step=BONDS)
    return render(request, "400.html", {"message": refusal.message}, status=refusal.status)


@require_http_methods(["GET", "POST"])
@clinic_member_required
def screening_step(request, screening_id, step):
    screening = get_screening_for_user(request, screening_id)
    data = request.POST if request.method == "POST" else None
    try:
        _check_step(screening, step, data)
        form = _form_for(screening, step, data)
        if data is not None:
            _save(screening, step, form, Actor.from_request(request))
    except Refusal as refusal:
        return _refused_page(request, screening, refusal)
    except services.ScreeningLocked:
        return _refused_page(request, screening, _locked())
    if data is not None and form.is_valid():
        return _next_step(request, screening, step)
    if data is not None and isinstance(form, ItemsForm):
        messages.error(request, "Some answers were not saved: see the questions marked below. The rest were saved.")
    if data is None:
        record(A.SCREENING_OPENED, Actor.from_request(request), obj=screening, detail=f"draft, step {step}")
        # A link the client answered through that ran out unsent: their part ended, said now.
        selfreport.close_lapsed_link(screening, Actor.from_request(request))
    steps = steps_for(screening.instrument, screening.bonds_in_scope, screening.is_intake)
    if step == REVIEW:
        return render(request, "screening/review.html", _review_context(screening, steps, form))
    if step == BONDS:
        return render(request, "screening/step_bonds.html", _step_context(screening, steps, BONDS, form=form))
    return render(request, "screening/step_items.html", _step_context(
        screening, steps, step, form=form,
        intro=INTROS.get(step, f"Asked about this bond over {screening.instrument.period}."),
        bond_label=screening.bond_label(step) if step in BOND_TYPES else "",
    ))


def _next_step(request, screening, step):
    # The steps again: choosing bonds changes them.
    steps = steps_for(screening.instrument, screening.bonds_in_scope, screening.is_intake)
    previous, following = neighbours(steps, step)
    target = previous if "back" in request.POST else following
    if "stay" in request.POST or target is None:
        messages.success(request, "Draft saved.")
        return redirect("screening:screening_step", screening_id=screening.id, step=step)
    return redirect("screening:screening_step", screening_id=screening.id, step=target.slug)


def _step_context(screening, steps, step, **extra):
    previous, following = neighbours(steps, step)
    # This draft's open flags, on every step: a disclosure made in self-report is seen before completion.
    draft_flags = screening.safety_flags.open().select_related("client", "screening").annotate(
        follow_up_count=Count("follow_ups")).in_tier_order()
    return {"screening": screening, "client": screening.client, "steps": steps, "step": step,
            "previous": previous, "next": following, "instrument": screening.instrument,
            "no_answer_values": NO_ANSWER_STATES, "resources": screening.client.clinic.crisis_resources.splitlines(),
            "open_flags": draft_flags, "live_link": screening.links.live().filter(expires_at__gt=timezone.now()).first(),
            **extra}


def _review_context(screening, steps, form, problems=None, confirm_error=""):
    instrument = screening.instrument
    answers = screening.answer_map()
    if problems is None:
        problems = unanswered_items(instrument, screening.bonds_in_scope, answers, screening.is_intake)
    titles = {s.slug: s.title for s in steps}
    missing = [
        {"step": section, "step_title": titles.get(section, section), "key": key,
         "text": instrument.item_text(key) if key else "", "anchor": item_field_name(key) if key else ""}
        for section, key in problems
    ]
    if screening.self_report:
        # Self-report: what the client skipped comes first, safety first, as the client saw it.
        order = {key: i for i, key in enumerate(s.key for s in selfreport.client_sections(screening))}
        missing.sort(key=lambda m: order.get(m["step"], -1))
    return _step_context(screening, steps, REVIEW, form=form, confirm_error=confirm_error, missing=missing,
                         progress=section_progress(instrument, screening.bonds_in_scope, answers, screening.is_intake),
                         self_report_unanswered=len(missing) if screening.self_report else None)


def _json_refusal(status, message, errors=None):
    return JsonResponse({"saved": 0, "message": message, "errors": errors or {}}, status=status)


def autosave(request, screening_id, step):
    """JSON only, for static/js/autosave.js: the step's form and service, every refusal a JSON message.

    Not behind clinic_member_required (which answers with a login page): the checks are here."""
    if request.method != "POST":
        return _json_refusal(405, "Autosave takes a POST of the step's form.")
    if not request.user.is_authenticated:
        return _json_refusal(401, "Not saved: you are logged out. Reload the page to log in again.")
    if request.user.clinic_id is None:
        return _json_refusal(403, "Your account is not attached to a clinic.")
    try:
        screening = get_screening_for_user(request, screening_id)
    except Http404:
        return _json_refusal(404, "There is no such screening.")
    try:
        _check_step(screening, step, request.POST)
        form = _form_for(screening, step, request.POST)
        saved = _save(screening, step, form, Actor.from_request(request))
    except Http404:
        return _json_refusal(404, "There is no such step in a screening.")
    except Refusal as refusal:
        return _json_refusal(refusal.status, refusal.message)
    except services.ScreeningLocked:
        return _json_refusal(409, LOCKED)
    errors = form.errors.get_json_data()
    body = {"saved": saved, "at": timezone.localtime().strftime("%H:%M:%S"), "errors": errors}
    if errors:
        body["message"] = "Some answers were not saved: use “Save draft” to see why."
    return JsonResponse(body, status=400 if errors else 200)


@require_POST
@clinic_member_required
def screening_complete(request, screening_id):
    screening = get_screening_for_user(request, screening_id)
    if not screening.is_draft:
        messages.info(request, "This screening was already completed.")
        return redirect("reports:results", screening_id=screening.id)
    steps = steps_for(screening.instrument, screening.bonds_in_scope, screening.is_intake)
    notes = NotesForm(request.POST if "notes" in request.POST else None, instance=screening)
    if notes.is_bound:
        if not notes.is_valid():
            return render(request, "screening/review.html", _review_context(screening, steps, notes), status=400)
        try:  # typed notes are kept whether or not completion succeeds
            services.update_draft(screening, {name: notes.cleaned_data[name] for name in NotesForm._meta.fields})
        except services.ScreeningLocked:
            messages.info(request, "This screening was already completed.")
            return redirect("reports:results", screening_id=screening.id)
    if request.POST.get("confirm") != "1":
        context = _review_context(screening, steps, notes,
                                  confirm_error="Tick this box to confirm that the screening should be locked.")
        return render(request, "screening/review.html", context, status=400)
    try:
        outcome = services.complete_screening(screening.id, screenings_for(request.user), Actor.from_request(request))
    except Screening.DoesNotExist:  # discarded in another tab a moment ago
        messages.info(request, "This screening was discarded, so it could not be completed.")
        return redirect("screening:client_detail", client_id=screening.client_id)
    if outcome.problems:
        messages.error(request, f"{len(outcome.problems)} question(s) still need an answer, or a reason why there is none, before the screening can be completed.")
        context = _review_context(outcome.screening, steps, notes, outcome.problems)
        context["refused"] = True
        return render(request, "screening/review.html", context, status=400)
    if outcome.completed:
        messages.success(request, "Screening completed and locked.")
    else:
        messages.info(request, "This screening was already completed.")
    return redirect("reports:results", screening_id=screening.id)


@require_http_methods(["GET", "POST"])
@clinic_member_required
def screening_discard(request, screening_id):
    screening = get_screening_for_user(request, screening_id)
    if not screening.is_draft:
        messages.info(request, LOCKED)
        return redirect("reports:results", screening_id=screening.id)
    if request.method == "POST":
        if not services.discard_draft(screening, Actor.from_request(request)):
            messages.info(request, LOCKED)  # completed in another tab meanwhile
            return redirect("reports:results", screening_id=screening.id)
        messages.success(request, "The unfinished screening was discarded.")
        return redirect("screening:client_detail", client_id=screening.client_id)
    return render(request, "screening/discard_confirm.html", {"screening": screening, "client": screening.client})
