"""A safety flag and its follow-ups."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from audit.trail import record
from clinicians.actors import Actor
from clinicians.decorators import clinic_member_required
from screening import audit_actions as A
from screening import flags
from screening.flags import flag_guidance
from screening.forms.flags import RESOLUTION_REFUSED, FollowUpForm
from screening.scoping import flags_for, get_flag_for_user


@require_http_methods(["GET", "POST"])
@clinic_member_required
def flag_detail(request, flag_id):
    flag = get_flag_for_user(request, flag_id)
    form = FollowUpForm(request.POST or None, flag=flag)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                follow_up, created = flags.record_follow_up(
                    flag.id, flags_for(request.user), Actor.from_request(request), action=data["action"],
                    note=data["note"], referral_to=data["referral_to"], resolves=data["resolves"],
                    submission=data["submission"],
                )
            except flags.FlagClosed:
                form.add_error(None, "This flag is already resolved or withdrawn, so no follow-up was recorded. Its history is above.")
            except flags.ResolutionRefused:
                form.add_error("resolves", RESOLUTION_REFUSED)
            else:
                return _recorded(request, flag, follow_up, created)
        status = 400
    if request.method == "GET":
        record(A.CLIENT_VIEWED, Actor.from_request(request), obj=flag, detail="safety flag")
    return render(request, "screening/flag_detail.html", {
        "flag": flag, "client": flag.client, "follow_ups": flag.follow_ups.select_related("recorded_by"),
        "form": form, "resources": flag.client.clinic.crisis_resources.splitlines(),
        "guidance": flag_guidance(flag),
    }, status=status)


def _recorded(request, flag, follow_up, created):
    if created:
        messages.success(request, "Follow-up recorded." + (" The flag is resolved." if follow_up.resolves else ""))
    else:
        messages.info(request, "That follow-up was already recorded (the form was sent twice).")
    return redirect("screening:flag_detail", flag_id=flag.id)
