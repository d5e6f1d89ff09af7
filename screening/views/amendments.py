"""Amending a completed screening: changed answers with a reason; the original is kept."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_member_required
from screening import audit_actions as A
from screening import services
from screening.forms.amendments import AmendReasonForm
from screening.forms.steps import ItemsForm
from screening.instrument import NO_ANSWER_STATES
from screening.scoping import get_screening_for_user, screenings_for
from screening.steps import BONDS


def _section_forms(screening, data=None):
    answers, reasons = screening.answers_and_reasons()
    return [
        {"section": section.key, "title": section.title,
         "form": ItemsForm(data, section=section, instrument=screening.instrument, intake=screening.is_intake,
                           answers=answers, reasons=reasons, prefix=section.key)}
        for section in screening.sections()
    ]


@require_http_methods(["GET", "POST"])
@clinic_member_required
def screening_amend(request, screening_id):
    screening = get_screening_for_user(request, screening_id)
    if screening.is_draft:
        messages.info(request, "This screening is not completed yet: change its answers in the form.")
        return redirect("screening:screening_step", screening_id=screening.id, step=BONDS)
    if request.method == "GET":
        record(A.SCREENING_OPENED, Actor.from_request(request), obj=screening, detail="amend page")
    reason_form = AmendReasonForm(request.POST or None)
    sections = _section_forms(screening, request.POST or None)
    if request.method == "POST":
        valid = reason_form.is_valid() & all([s["form"].is_valid() for s in sections])
        if valid:
            try:
                services.amend_screening(
                    screening.id, screenings_for(request.user), Actor.from_request(request),
                    reason_form.cleaned_data["reason"], {s["section"]: s["form"].answers() for s in sections},
                    {s["section"]: s["form"].reasons() for s in sections},
                )
            except services.NothingChanged:
                reason_form.add_error(None, "No answer was changed, so there is nothing to amend.")
            except services.AmendmentIncomplete as incomplete:
                questions = "; ".join(screening.instrument.item_text(key) for _section, key in incomplete.problems)
                reason_form.add_error(None, f"The correction also needs an answer to: {questions} Nothing was saved.")
            else:
                messages.success(request, "The screening was amended; its scores were recalculated. The original answers are kept in its history.")
                return redirect("reports:results", screening_id=screening.id)
    return render(request, "screening/amend.html", {
        "screening": screening, "client": screening.client, "reason_form": reason_form, "sections": sections,
        "no_answer_values": NO_ANSWER_STATES,
    }, status=400 if request.method == "POST" else 200)
