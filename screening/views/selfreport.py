"""The clinician's side of self-report: hand the tablet over, or make, show and cancel a one-time link."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clinicians.actors import Actor
from clinicians.decorators import clinic_member_required
from clinicians.two_factor import qr_svg
from screening import selfreport
from screening.scoping import get_screening_for_user
from screening.steps import BONDS


def _page(request, screening, status=200, **extra):
    return render(request, "screening/self_report.html", {
        "screening": screening, "client": screening.client,
        "links": screening.links.select_related("created_by", "revoked_by")[:10],
        "hours": screening.client.clinic.self_report_link_hours,
        "blank_minutes": max(1, round(settings.TABLET_BLANK_SECONDS / 60)), **extra,
    }, status=status)


def _unavailable(request, screening, refusal):
    messages.warning(request, str(refusal))
    if screening.is_draft:
        return redirect("screening:screening_step", screening_id=screening.id, step=BONDS)
    return redirect("reports:results", screening_id=screening.id)


@require_http_methods(["GET"])
@clinic_member_required
def self_report(request, screening_id):
    screening = get_screening_for_user(request, screening_id)
    try:
        selfreport.check_can_hand_over(screening)
    except selfreport.SelfReportUnavailable as refusal:
        return _unavailable(request, screening, refusal)
    return _page(request, screening)


@require_POST
@clinic_member_required
def tablet_hand_over(request, screening_id):
    screening = get_screening_for_user(request, screening_id)
    try:
        selfreport.enter_tablet(request, screening, Actor.from_request(request))
    except selfreport.SelfReportUnavailable as refusal:
        return _unavailable(request, screening, refusal)
    return redirect("selfreport:tablet_start")


@require_POST
@clinic_member_required
def link_create(request, screening_id):
    """The new link is shown on this answer only: the server keeps its hash, not the link."""
    screening = get_screening_for_user(request, screening_id)
    try:
        link, token = selfreport.create_link(screening, Actor.from_request(request))
    except selfreport.SelfReportUnavailable as refusal:
        return _unavailable(request, screening, refusal)
    url = request.build_absolute_uri(reverse("selfreport:link_start", args=[token]))
    return _page(request, screening, new_link=link, new_url=url, qr=qr_svg(url))


@require_http_methods(["GET", "POST"])
@clinic_member_required
def link_revoke(request, screening_id, link_id):
    screening = get_screening_for_user(request, screening_id)
    link = get_object_or_404(screening.links, pk=link_id)
    if request.method == "POST":
        if selfreport.revoke_link(link, Actor.from_request(request)):
            messages.success(request, "The link was cancelled. It no longer opens; answers saved through it are kept.")
        else:
            messages.info(request, f"This link was already {link.status_label}; nothing changed.")
        if screening.is_draft:
            return redirect("screening:self_report", screening_id=screening.id)
        return redirect("reports:results", screening_id=screening.id)
    return render(request, "screening/link_revoke_confirm.html", {"screening": screening, "client": screening.client, "link": link})
