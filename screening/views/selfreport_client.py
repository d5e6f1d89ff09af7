"""The pages a client answers on: the clinic's tablet (inside the clinician's session, which the
tablet middleware confines to these pages) or a one-time link (no login at all).

Both show the same pages, in the client's own wording, one section at a time, safety first; no
client code, no other client, no scores. Every answer saves as it is clicked (autosave.js); the
buttons post the whole section too, so nothing depends on the script.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from audit.trail import record
from clinicians.actors import Actor, client_ip
from clinicians import ratelimit
from clinicians.models import DEFAULT_CRISIS_RESOURCES
from screening import audit_actions as A
from screening import selfreport, services
from screening.forms.selfreport import ClientItemsForm, TabletReturnForm
from screening.forms.steps import item_field_name
from screening.instrument import SAFETY, load_client_wording
from screening.models import Screening
from screening.scoping import screenings_for
from screening.steps import REVIEW

WRONG_DRAFT = ("These answers belong to another set of questions than the one open now. Nothing was saved from "
               "them. Please answer again on this page.")
WRONG_VERSION = "This page was made for another version of the questions. Nothing was saved; please answer again."
NOT_HERE = "There is no such page in these questions."
TABLET_PASSWORD_TRIES = 5


@dataclass
class Channel:
    """Where the client answers: the tablet (session) or a link (token); URLs and rules differ."""

    kind: str
    screening: Screening
    token: str = ""
    link: object = None

    def url(self, name, *args):
        if self.kind == selfreport.TABLET:
            return reverse(f"selfreport:tablet_{name}", args=args)
        return reverse(f"selfreport:link_{name}", args=[self.token, *args])


def _sections(screening):
    return selfreport.client_sections(screening)


def _context(request, channel, **extra):
    screening = channel.screening
    sections = _sections(screening)
    return {
        "channel": channel, "kind": channel.kind, "screening": screening,
        "wording": load_client_wording(screening.instrument_key), "sections": sections,
        "resources": screening.client.clinic.crisis_resources.splitlines(),
        "blank_after_seconds": settings.TABLET_BLANK_SECONDS if channel.kind == selfreport.TABLET else 0,
        **extra,
    }


def _section_or_404(screening, key):
    for position, section in enumerate(_sections(screening)):
        if section.key == key:
            return position, section
    raise Http404(NOT_HERE)


def _refuse_foreign(channel, section, data):
    """A post for another draft, another version or questions not on this page: the message, or ""."""
    if data.get("draft") != str(channel.screening.id):
        return WRONG_DRAFT
    if data.get("instrument") != channel.screening.instrument_key:
        return WRONG_VERSION
    known = {item_field_name(item.key) for item in section.items}
    if any(k.startswith("item-") and k not in known for k in data):
        return WRONG_VERSION
    return ""


# The pages, shared by both ways in ------------------------------------------------------------

def _start(request, channel):
    return render(request, "selfreport/start.html", _context(request, channel, first=_sections(channel.screening)[0]))


def _section(request, channel, key):
    screening = channel.screening
    position, section = _section_or_404(screening, key)
    sections = _sections(screening)
    wording = load_client_wording(screening.instrument_key)
    if request.method == "POST":
        refusal = _refuse_foreign(channel, section, request.POST)
        if refusal:
            return render(request, "selfreport/refused.html", _context(request, channel, message=refusal), status=400)
        form = ClientItemsForm(request.POST, section=section, wording=wording, intake=screening.is_intake)
        _save(request, channel, section, form)
        if "stop" in request.POST:
            return redirect(channel.url("finish"))
        if form.is_valid():
            if "back" in request.POST and position > 0:
                return redirect(channel.url("section", sections[position - 1].key))
            if position + 1 < len(sections) and "back" not in request.POST:
                return redirect(channel.url("section", sections[position + 1].key))
            if "back" not in request.POST:
                return redirect(channel.url("finish"))
            return redirect(channel.url("start"))
        status = 400
    else:
        form = ClientItemsForm(section=section, wording=wording, intake=screening.is_intake,
                               answers=screening.answer_map())
        status = 200
    return render(request, "selfreport/section.html", _context(
        request, channel, form=form, section=section, title=wording.section_titles[section.key],
        intro=wording.section_intros[section.key], position=position + 1, total=len(sections),
        bond_label=screening.bond_label(section.key) if section.is_bond else "",
        previous=sections[position - 1] if position else None,
    ), status=status)


def _save(request, channel, section, form):
    return selfreport.save_client_answers(
        channel.screening, section.key, form.answers(), channel.kind,
        selfreport.client_actor(request, channel.screening), link=channel.link,
    )


def _autosave(request, channel, key):
    if request.method != "POST":
        return _json(405, "Saving takes a POST of the page's answers.")
    try:
        _, section = _section_or_404(channel.screening, key)
    except Http404:
        return _json(404, NOT_HERE)
    refusal = _refuse_foreign(channel, section, request.POST)
    if refusal:
        return _json(400, refusal)
    form = ClientItemsForm(request.POST, section=section, wording=load_client_wording(channel.screening.instrument_key),
                           intake=channel.screening.is_intake)
    saved = _save(request, channel, section, form)
    if form.errors:
        return _json(400, "Some answers were not saved. Please choose one of the answers shown.", saved)
    return JsonResponse({"saved": saved, "at": timezone.localtime().strftime("%H:%M"), "message": "Saved."})


def _json(status, message, saved=0):
    return JsonResponse({"saved": saved, "message": message}, status=status)


def _finish(request, channel):
    screening = channel.screening
    skipped = selfreport.unanswered_by_client(screening)
    if request.method == "POST":
        if request.POST.get("draft") != str(screening.id):
            return render(request, "selfreport/refused.html", _context(request, channel, message=WRONG_DRAFT), status=400)
        selfreport.finish(screening, channel.kind, selfreport.client_actor(request, screening), link=channel.link)
        if channel.kind == selfreport.TABLET:
            selfreport.mark_tablet_stopped(request)
        return redirect(channel.url("done"))
    wording = load_client_wording(screening.instrument_key)
    return render(request, "selfreport/finish.html", _context(
        request, channel, skipped=[(s, i, wording.item(i.key).text_for(screening.is_intake)) for s, i in skipped],
        safety_skipped=any(s.key == SAFETY for s, _ in skipped),
    ))


def _done(request, channel):
    return render(request, "selfreport/done.html", _context(request, channel))


# The tablet ------------------------------------------------------------------------------------

def _tablet_channel(request):
    """The draft handed over in this session; None when the tablet is not (any longer) in use."""
    screening_id = selfreport.tablet_screening_id(request)
    if screening_id is None or not request.user.is_authenticated:
        return None
    screening = (screenings_for(request.user).select_related("client", "client__clinic")
                 .filter(pk=screening_id).first())
    if screening is None:
        return None
    return Channel(selfreport.TABLET, screening)


def _tablet(*, after_stop=False, json=False, without_draft=False, methods=("GET",)):
    """A tablet page: only in a session that handed a draft over. Once the client has stopped (or
    the draft was completed), only the closing page and the way back for the clinician remain."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _json(401, "Not saved: the tablet's session has ended.") if json else redirect_to_login(request.get_full_path())
            channel = _tablet_channel(request)
            if channel is None and not without_draft:
                # The draft was discarded, or the client moved out of this clinician's sight: the
                # questions close, and the clinician's view still needs the password.
                if json:
                    return _json(409, "These questions are closed. Please give the tablet back to your clinician.")
                return render(request, "selfreport/tablet_closed.html", {"kind": selfreport.TABLET})
            if channel is not None and not after_stop and (not channel.screening.is_draft or selfreport.tablet_stopped(request)):
                if json:
                    return _json(409, "Your answers are finished. Please give the tablet back to your clinician.")
                return redirect("selfreport:tablet_done")
            return view(request, channel, *args, **kwargs)
        return never_cache(require_http_methods(list(methods))(wrapper))
    return decorate


@_tablet()
def tablet_start(request, channel):
    return _start(request, channel)


@_tablet(methods=("GET", "POST"))
def tablet_section(request, channel, section):
    return _section(request, channel, section)


@_tablet(json=True, methods=("POST",))
def tablet_autosave(request, channel, section):
    return _autosave(request, channel, section)


@_tablet(methods=("GET", "POST"))
def tablet_finish(request, channel):
    return _finish(request, channel)


@_tablet(after_stop=True)
def tablet_done(request, channel):
    return _done(request, channel)


@_tablet(after_stop=True, without_draft=True, methods=("GET", "POST"))
def tablet_return(request, channel):
    """The clinician takes the tablet back with their password; five wrong ones end the session."""
    form = TabletReturnForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        if form.is_valid() and channel is None:
            selfreport.leave_tablet(request, None, Actor.from_request(request))
            return redirect("screening:home")
        if form.is_valid():
            selfreport.leave_tablet(request, channel.screening, Actor.from_request(request))
            channel.screening.refresh_from_db()
            open_flags = channel.screening.safety_flags.open().count()
            if channel.screening.is_draft:
                flags_line = {0: "", 1: " 1 safety flag is open."}.get(open_flags, f" {open_flags} safety flags are open.")
                messages.warning(request, "You have the tablet back. Review the client's answers: what they skipped is listed first."
                                 + flags_line)
                return redirect("screening:screening_step", screening_id=channel.screening.id, step=REVIEW)
            return redirect("screening:client_detail", client_id=channel.screening.client_id)
        tries = request.session.get("tablet_password_failures", 0) + 1
        request.session["tablet_password_failures"] = tries
        screening = channel.screening if channel else None
        record(A.TABLET_PASSWORD_FAILED, Actor.from_request(request), obj=screening, detail=f"try {tries}")
        if tries >= TABLET_PASSWORD_TRIES:
            # The answers are saved; the clinician logs in again to see them.
            logout(request)
            target = reverse("screening:screening_step", args=[screening.id, REVIEW]) if screening else reverse("screening:home")
            return redirect(f"{reverse('login')}?next={target}")
    tries_left = TABLET_PASSWORD_TRIES - request.session.get("tablet_password_failures", 0)
    context = _context(request, channel) if channel else {"kind": selfreport.TABLET}
    return render(request, "selfreport/tablet_return.html", {**context, "form": form, "tries_left": tries_left},
                  status=400 if form.errors else 200)


# The one-time link -----------------------------------------------------------------------------

def _link_refused(request, token):
    """The same plain page for every link that cannot be used, whatever the reason (and for none):
    used, expired, cancelled and unknown all answer 404 with the same words."""
    link = selfreport.find_link(token)
    if link is not None:
        record(A.LINK_REFUSED, selfreport.client_actor(request, link.screening), obj=link,
               detail=link.status_label if link.screening.is_draft else "screening no longer a draft")
    return render(request, "selfreport/link_unusable.html",
                  {"resources": DEFAULT_CRISIS_RESOURCES.splitlines()}, status=404)


LINK_GONE = "This link can no longer be used. The answers saved before are kept."


def _link(*, json=False, finishing=False, closing=False, methods=("GET",)):
    """A link's page: no login, never cached, rate-limited (per link, and per address for links that
    do not open); an unusable link gets the plain page, or a JSON message for autosave.

    finishing: a second submit of a link just submitted goes to the closing page (saves once).
    closing: the closing page, shown for a little while after the link was submitted."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, token, *args, **kwargs):
            if ratelimit.hit("self_report_link", "token", token[:100], settings.RATE_LIMITS["self_report_link"]["per_link"]):
                return ratelimit.too_many_response(request, "requests for this page")
            link = selfreport.find_link(token)
            if closing:
                recent = link is not None and link.submitted_at and timezone.now() - link.submitted_at < LINK_CLOSING_PAGE_LIFETIME
                usable = bool(recent)
            else:
                usable = link is not None and link.is_usable and link.screening.is_draft
            if not usable:
                if ratelimit.hit("self_report_link", "address", client_ip(request) or "",
                                 settings.RATE_LIMITS["self_report_link"]["refused_per_address"]):
                    return ratelimit.too_many_response(request, "links that cannot be opened")
                if finishing and link is not None and link.submitted_at is not None:
                    return redirect("selfreport:link_done", token=token)
                return _json(410, LINK_GONE) if json else _link_refused(request, token)
            channel = Channel(selfreport.LINK, link.screening, token, link)
            try:
                return view(request, channel, *args, **kwargs)
            except (selfreport.LinkUnusable, services.ScreeningLocked):
                # Submitted, cancelled or completed while this request was on its way.
                if finishing:
                    return redirect("selfreport:link_done", token=token)
                return _json(410, LINK_GONE) if json else _link_refused(request, token)
        return never_cache(require_http_methods(list(methods))(wrapper))
    return decorate


LINK_CLOSING_PAGE_LIFETIME = timedelta(hours=1)


@_link()
def link_start(request, channel):
    selfreport.note_opened(channel.link, selfreport.client_actor(request, channel.screening))
    return _start(request, channel)


@_link(methods=("GET", "POST"))
def link_section(request, channel, section):
    return _section(request, channel, section)


@_link(json=True, methods=("POST",))
def link_autosave(request, channel, section):
    return _autosave(request, channel, section)


@_link(finishing=True, methods=("GET", "POST"))
def link_finish(request, channel):
    return _finish(request, channel)


@_link(closing=True)
def link_done(request, channel):
    return _done(request, channel)
