"""Self-report (issue 13): the client answers a draft on their own, on the clinic's tablet or by a
one-time link; the clinician stays in charge. Visitors: the clinician who hands over, a teammate,
an outsider from another clinic, and an anonymous phone holding a link."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clinicians.actors import Actor
from screening import selfreport, services
from screening.instrument import CLIENT_WORDING_DIR, load_client_wording, load_instrument, validate_client_wording
from screening.models import Answer, SafetyFlag, Screening, SelfReportLink
from tests.conftest import PASSWORD, all_answers, fill

pytestmark = pytest.mark.django_db

TBSC2 = load_instrument("tbsc-2")


@pytest.fixture
def sr_draft(client_record, clinician, make_screening):
    """A tbsc-2 intake draft of the abuser bond, nothing answered yet."""
    return make_screening(client_record, clinician, bonds=("abuser",), complete=False, instrument_key="tbsc-2")


def _actions(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def _make_link(browser, draft):
    response = browser.post(reverse("screening:link_create", args=[draft.id]))
    assert response.status_code == 200
    path = re.sub(r"^https?://[^/]+", "", response.context["new_url"])
    return path, path.split("/")[2]


def _post(draft, answers, **extra):
    data = {"instrument": draft.instrument_key, "draft": str(draft.id), **extra}
    data.update({f"item-{key}": value for key, value in answers.items()})
    return data


def _hand_over(browser, draft):
    response = browser.post(reverse("screening:tablet_hand_over", args=[draft.id]))
    assert response["Location"] == reverse("selfreport:tablet_start")


def _tablet(name, *args):
    return reverse(f"selfreport:tablet_{name}", args=args)


# The client's wording ------------------------------------------------------------------------

def test_client_wording_is_published_and_pinned():
    data = (CLIENT_WORDING_DIR / "tbsc-2.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == "6d1332babd792471353c0af6ba0033365493aa5b37eb149a169545deebf4462e"


def test_every_item_has_first_person_client_wording():
    wording = load_client_wording("tbsc-2")
    for item in TBSC2.bond_items + TBSC2.safety_items + TBSC2.protective_items:
        text = wording.item(item.key).text_for(True)
        assert text and not re.search(r"\byou(r|rs|rself)?\b", text, re.I), (item.key, text)
    assert load_client_wording("tbsc-1") is None  # no self-report for the old version


def test_wording_missing_an_item_does_not_load():
    wording = load_client_wording("tbsc-2")
    broken = type(wording)(**{**wording.__dict__, "items": {k: v for k, v in wording.items.items() if k != "afraid-of-them"}})
    with pytest.raises(ValueError, match="afraid-of-them"):
        validate_client_wording(TBSC2, broken)


# Handing over ------------------------------------------------------------------------------------

def test_hand_over_needs_a_tbsc2_draft_with_bonds(logged_in, client_record, clinician, make_screening):
    old = make_screening(client_record, clinician, complete=False)  # tbsc-1
    response = logged_in.post(reverse("screening:link_create", args=[old.id]))
    assert response.status_code == 302 and not SelfReportLink.objects.exists()
    assert "no wording for clients" in str(list(logged_in.get(response["Location"]).context["messages"])[0])
    services.discard_draft(old, Actor(clinician))
    fresh, _ = services.start_screening(client_record, Actor(clinician))
    response = logged_in.post(reverse("screening:tablet_hand_over", args=[fresh.id]))
    assert response["Location"] == reverse("screening:screening_step", args=[fresh.id, "bonds"])
    assert "tablet" not in logged_in.session


def test_completed_screening_cannot_be_handed_over(logged_in, client_record, clinician, make_screening):
    done = make_screening(client_record, clinician, instrument_key="tbsc-2")
    assert logged_in.post(reverse("screening:link_create", args=[done.id]))["Location"] == reverse("reports:results", args=[done.id])
    assert not SelfReportLink.objects.exists()


# The tablet --------------------------------------------------------------------------------------

def test_tablet_shows_only_the_clients_pages(logged_in, sr_draft, clinician, client_record):
    _hand_over(logged_in, sr_draft)
    assert _actions(action__startswith="selfreport.") == ["selfreport.tablet_entered"]
    # Every other page sends the client back to the questions: lists, records, logging out, the admin.
    for url in (reverse("screening:home"), reverse("screening:client_list"),
                reverse("screening:client_detail", args=[client_record.id]),
                reverse("screening:screening_step", args=[sr_draft.id, "review"]), "/admin/", "/no-such-page/"):
        assert logged_in.get(url)["Location"] == _tablet("start"), url
    assert logged_in.post(reverse("logout"))["Location"] == _tablet("start")
    assert "_auth_user_id" in logged_in.session
    start = logged_in.get(_tablet("start")).content.decode()
    assert client_record.code not in start and "Log out" not in start and clinician.get_full_name() not in start
    assert 'href="/clients/' not in start


def test_tablet_sections_are_client_worded_safety_first_without_scores(logged_in, sr_draft, client_record):
    _hand_over(logged_in, sr_draft)
    first = logged_in.get(_tablet("start"))
    assert first.context["sections"][0].key == "safety"
    safety = logged_in.get(_tablet("section", "safety")).content.decode()
    assert "In the past year, has anyone hit, kicked, pushed, choked or strangled me" in safety  # intake wording
    assert "Part 1 of 3" in safety and "I’d like to stop" in safety and "I’d rather not answer" in safety
    assert "Not asked" not in safety and "Act this session" not in safety and client_record.code not in safety
    bond = logged_in.get(_tablet("section", "abuser")).content.decode()
    assert "How often has this person put me down?" in bond and "This does not apply to me" in bond
    assert "score" not in bond.lower()
    assert logged_in.get(_tablet("section", "v2v")).status_code == 404  # not in scope


def test_tablet_answers_land_in_the_draft_as_the_clients(logged_in, sr_draft, clinician):
    _hand_over(logged_in, sr_draft)
    response = logged_in.post(_tablet("section", "abuser"), _post(sr_draft, {"put-you-down": "2", "afraid-of-them": "declined"}, next="1"))
    assert response["Location"] == _tablet("section", "protective")
    rows = {a.item_key: a for a in sr_draft.answers.all()}
    assert (rows["put-you-down"].value, rows["put-you-down"].given_by, rows["put-you-down"].client_answer) == (2, "client", "2")
    assert (rows["afraid-of-them"].state, rows["afraid-of-them"].client_answer) == ("declined", "declined")
    sr_draft.refresh_from_db()
    assert sr_draft.self_report == "tablet" and sr_draft.client_finished_at is None


def test_a_yes_on_the_tablet_raises_the_flag_at_once_and_shows_help(logged_in, sr_draft, clinician, clinic_admin):
    _hand_over(logged_in, sr_draft)
    page = logged_in.get(_tablet("section", "safety")).content.decode()
    assert "Thank you for telling us" in page and "988" in page  # shown by disclosure.js on "Yes"
    saved = logged_in.post(_tablet("autosave", "safety"), _post(sr_draft, {"safety-suicidal-thoughts": "1"}),
                           HTTP_X_AUTOSAVE="1")
    assert saved.status_code == 200 and saved.json()["saved"] == 1
    flag = SafetyFlag.objects.get(screening=sr_draft)
    assert (flag.item_key, flag.tier, flag.raised_by) == ("safety-suicidal-thoughts", "act_now", None)
    raised = AuditEvent.objects.get(action="flag.raised")
    assert raised.clinic_id == clinician.clinic_id and raised.actor is None and raised.actor_email == "client (self-report)"
    # Before anyone completes anything, the clinic sees it: the admin's home page, "Act this session" first.
    admin = Browser()
    admin.force_login(clinic_admin)
    home = admin.get(reverse("screening:home")).content.decode()
    assert "Suicidal thoughts" in home or flag.title in home
    assert home.index("Act this session") < home.index(flag.title)
    # The page itself, posted without the script, shows the help at once.
    reloaded = logged_in.get(_tablet("section", "safety")).content.decode()
    assert re.search(r'data-disclosure-for="item-safety-suicidal-thoughts"(?! hidden)', reloaded)


def test_stop_ends_the_clients_part_and_keeps_the_tablet_locked(logged_in, sr_draft):
    _hand_over(logged_in, sr_draft)
    logged_in.post(_tablet("autosave", "safety"), _post(sr_draft, {"safety-suicidal-thoughts": "0"}))
    stop = logged_in.post(_tablet("section", "safety"), _post(sr_draft, {}, stop="1"))
    assert stop["Location"] == _tablet("finish")
    confirm = logged_in.get(_tablet("finish")).content.decode()
    assert "Stop here?" in confirm and "Some questions about your safety are not answered" in confirm
    done = logged_in.post(_tablet("finish"), {"draft": str(sr_draft.id)})
    assert done["Location"] == _tablet("done")
    page = logged_in.get(_tablet("done")).content.decode()
    assert "give the tablet back" in page and "988" in page and "1-800-799-7233" in page
    # Stopped: the questions are closed to the client; the clinician's page still needs the password.
    assert logged_in.get(_tablet("section", "safety"))["Location"] == _tablet("done")
    assert logged_in.post(_tablet("autosave", "safety"), _post(sr_draft, {"safety-self-harm": "1"})).status_code == 409
    assert logged_in.get(reverse("screening:home"))["Location"] == _tablet("start")
    assert not sr_draft.answers.filter(item_key="safety-self-harm").exists()
    flag = SafetyFlag.objects.get(screening=sr_draft)
    assert flag.kind == "not_assessed" and flag.title == "Safety not fully assessed"
    assert "not answered in self-report" in flag.detail
    assert _actions(action__startswith="selfreport.") == ["selfreport.tablet_entered", "selfreport.tablet_stopped"]


def test_taking_the_tablet_back_needs_the_password(logged_in, sr_draft):
    _hand_over(logged_in, sr_draft)
    logged_in.post(_tablet("autosave", "abuser"), _post(sr_draft, {"put-you-down": "1"}))
    wrong = logged_in.post(_tablet("return"), {"password": "not-it"})
    assert wrong.status_code == 400 and "4 tries left" in wrong.content.decode()
    assert logged_in.get(reverse("screening:home"))["Location"] == _tablet("start")
    right = logged_in.post(_tablet("return"), {"password": PASSWORD})
    assert right["Location"] == reverse("screening:screening_step", args=[sr_draft.id, "review"])
    review = logged_in.get(right["Location"]).content.decode()
    # Handing back before the safety questions: the clinician sees it first thing.
    assert "Safety not fully assessed" in review and "The client left" in review
    assert review.index("Safety") < review.index("Review and complete") or "Safety not fully assessed" in review[:review.index("Review and complete")]
    assert logged_in.get(reverse("screening:home")).status_code == 200
    assert _actions(action__startswith="selfreport.") == [
        "selfreport.tablet_entered", "selfreport.tablet_password_failed", "selfreport.tablet_stopped", "selfreport.tablet_left"]


def test_five_wrong_passwords_log_out_and_keep_the_answers(logged_in, sr_draft):
    _hand_over(logged_in, sr_draft)
    logged_in.post(_tablet("autosave", "abuser"), _post(sr_draft, {"put-you-down": "3"}))
    for _ in range(4):
        assert logged_in.post(_tablet("return"), {"password": "guess"}).status_code == 400
    last = logged_in.post(_tablet("return"), {"password": "guess"})
    assert last["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in logged_in.session
    assert sr_draft.answers.get(item_key="put-you-down").value == 3
    assert AuditEvent.objects.filter(action="selfreport.tablet_password_failed").count() == 5


def test_tablet_refuses_answers_for_another_draft_or_version(logged_in, sr_draft, clinician, make_screening, clinic):
    from screening.models import Client
    other = Client.objects.create(clinic=clinic, code="C-0002", created_by=clinician)
    other.assigned.add(clinician)
    other_draft = make_screening(other, clinician, bonds=("abuser",), complete=False, instrument_key="tbsc-2")
    _hand_over(logged_in, sr_draft)
    wrong_draft = logged_in.post(_tablet("section", "abuser"), {**_post(sr_draft, {"put-you-down": "2"}), "draft": str(other_draft.id)})
    assert wrong_draft.status_code == 400 and "Nothing was saved" in wrong_draft.content.decode()
    wrong_version = logged_in.post(_tablet("section", "abuser"), _post(sr_draft, {"put-you-down": "2"}, instrument="tbsc-1"))
    assert wrong_version.status_code == 400
    foreign_item = logged_in.post(_tablet("autosave", "abuser"), _post(sr_draft, {"put-you-down": "2", "safety-violence": "1"}))
    assert foreign_item.status_code == 400 and foreign_item.json()["message"]
    bad_value = logged_in.post(_tablet("autosave", "abuser"), _post(sr_draft, {"put-you-down": "9"}))
    assert bad_value.status_code == 400 and bad_value.json()["message"]
    assert not Answer.objects.exists() and not SafetyFlag.objects.exists()


def test_blank_screen_is_set_on_tablet_pages_only(logged_in, sr_draft, settings):
    settings.TABLET_BLANK_SECONDS = 90
    path, _ = _make_link(logged_in, sr_draft)
    assert 'data-blank-after' not in Browser().get(path).content.decode()
    _hand_over(logged_in, sr_draft)
    page = logged_in.get(_tablet("section", "safety")).content.decode()
    assert 'data-blank-after="90"' in page and "js/tablet.js" in page


# The link ----------------------------------------------------------------------------------------

def test_link_carries_only_a_random_token_and_its_hash_is_stored(logged_in, sr_draft, clinic):
    path, token = _make_link(logged_in, sr_draft)
    link = SelfReportLink.objects.get()
    assert path == f"/r/{token}/" and len(token) >= 40
    assert sr_draft.client.code not in path and str(sr_draft.id) not in path and str(clinic.id) not in path
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM screening_selfreportlink")
        assert token not in json.dumps(cursor.fetchall(), default=str)
    assert link.expires_at - link.created_at == timedelta(hours=72)
    page = logged_in.get(reverse("screening:self_report", args=[sr_draft.id])).content.decode()
    assert token not in page and "Not opened yet" in page  # shown once, when made
    assert _actions(action__startswith="selfreport.") == ["selfreport.link_created"]


def test_link_lifetime_is_a_clinic_setting(logged_in, sr_draft, clinic):
    clinic.self_report_link_hours = 24
    clinic.save()
    _make_link(logged_in, sr_draft)
    link = SelfReportLink.objects.get()
    assert link.expires_at - link.created_at == timedelta(hours=24)


def test_the_link_journey(logged_in, sr_draft, clinician):
    path, token = _make_link(logged_in, sr_draft)
    phone = Browser(enforce_csrf_checks=True)
    start = phone.get(path)
    assert start.status_code == 200 and "no-store" in start["Cache-Control"]
    assert "Log out" not in start.content.decode() and sr_draft.client.code not in start.content.decode()
    safety = phone.get(f"{path}safety/")
    csrf = phone.cookies["csrftoken"].value
    assert "In the past month, have I had thoughts of killing myself?" in safety.content.decode()
    saved = phone.post(f"{path}safety/save/", _post(sr_draft, {"safety-violence": "1"}), HTTP_X_CSRFTOKEN=csrf)
    assert saved.status_code == 200 and saved.json()["saved"] == 1
    flag = SafetyFlag.objects.get(screening=sr_draft)
    assert flag.item_key == "safety-violence" and flag.is_open
    # The clinician sees it at once, before completion: client page and the draft.
    detail = logged_in.get(reverse("screening:client_detail", args=[sr_draft.client_id])).content.decode()
    assert flag.title in detail and "screening not yet completed" in detail
    # A closed tab loses nothing: opening the link again shows the answer.
    again = Browser()
    assert 'value="1" checked' in again.get(f"{path}safety/").content.decode()
    finish = phone.post(f"{path}finish/", {"draft": str(sr_draft.id)}, HTTP_X_CSRFTOKEN=csrf)
    assert finish["Location"] == f"{path}done/"
    done = phone.get(finish["Location"]).content.decode()
    assert "sent to your clinician" in done and "988" in done
    sr_draft.refresh_from_db()
    link = SelfReportLink.objects.get()
    assert sr_draft.self_report == "link" and sr_draft.client_finished_at == link.submitted_at
    assert _actions(action__startswith="selfreport.") == [
        "selfreport.link_created", "selfreport.link_opened", "selfreport.link_submitted"]
    assert AuditEvent.objects.get(action="selfreport.link_submitted").clinic_id == clinician.clinic_id


def test_link_pages_need_the_csrf_token(logged_in, sr_draft):
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser(enforce_csrf_checks=True)
    phone.get(path)
    assert phone.post(f"{path}safety/", _post(sr_draft, {"safety-violence": "1"})).status_code == 403
    assert not Answer.objects.exists()


def test_closing_page_shows_crisis_resources_whatever_was_answered(logged_in, sr_draft, clinic):
    clinic.crisis_resources = "Riverside duty line: 555-0100"
    clinic.save()
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser()
    fill_all = all_answers(TBSC2, ["abuser"], value=0)
    for section in ("safety", "abuser", "protective"):
        phone.post(f"{path}{section}/save/", _post(sr_draft, {k: v for (s, k), v in fill_all.items() if s == section}))
    assert not selfreport.unanswered_by_client(sr_draft)
    assert "You have answered every question" in phone.get(f"{path}finish/").content.decode()
    done = phone.get(phone.post(f"{path}finish/", {"draft": str(sr_draft.id)})["Location"]).content.decode()
    assert "Riverside duty line: 555-0100" in done and "911" in done
    assert not SafetyFlag.objects.exists()  # every safety answer "No", nothing skipped


def test_double_submit_saves_once(logged_in, sr_draft):
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser()
    first = phone.post(f"{path}finish/", {"draft": str(sr_draft.id)})
    second = phone.post(f"{path}finish/", {"draft": str(sr_draft.id)})
    assert first["Location"] == second["Location"] == f"{path}done/"
    assert AuditEvent.objects.filter(action="selfreport.link_submitted").count() == 1
    assert SafetyFlag.objects.filter(kind="not_assessed").count() == 1


def _unusable(browser, path):
    response = browser.get(path)
    assert response.status_code == 404
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def test_used_expired_revoked_and_unknown_links_look_the_same(logged_in, sr_draft, clinician, client_record):
    phone = Browser()
    unknown = _unusable(phone, "/r/no-such-token-at-all/")
    assert b"This link cannot be used" in unknown and b"988" in unknown
    used, _ = _make_link(logged_in, sr_draft)
    phone.post(f"{used}finish/", {"draft": str(sr_draft.id)})
    assert _unusable(phone, used) == unknown
    expired, _ = _make_link(logged_in, sr_draft)  # also cancels nothing: the used one is not live
    hour_ago = timezone.now() - timedelta(hours=1)
    SelfReportLink.objects.filter(submitted_at__isnull=True).update(created_at=hour_ago - timedelta(hours=72), expires_at=hour_ago)
    assert _unusable(phone, expired) == unknown
    assert _unusable(phone, f"{expired}safety/") == unknown
    revoked, _ = _make_link(logged_in, sr_draft)
    link = SelfReportLink.objects.live().filter(expires_at__gt=timezone.now()).get()
    confirm = logged_in.get(reverse("screening:link_revoke", args=[sr_draft.id, link.id]))
    assert "Cancel this link?" in confirm.content.decode() and SelfReportLink.objects.get(pk=link.pk).is_usable
    logged_in.post(reverse("screening:link_revoke", args=[sr_draft.id, link.id]))
    link.refresh_from_db()
    assert link.revoked_at and link.revoked_by == clinician
    assert _unusable(phone, revoked) == unknown
    assert phone.post(f"{revoked}safety/save/", _post(sr_draft, {"safety-violence": "1"})).status_code == 410
    assert not sr_draft.answers.filter(item_key="safety-violence").exists()
    refusals = AuditEvent.objects.filter(action="selfreport.link_refused")
    assert refusals.count() >= 3 and set(refusals.values_list("clinic_id", flat=True)) == {clinician.clinic_id}
    # A completed draft's link opens nothing either.
    live, _ = _make_link(logged_in, sr_draft)
    fill(sr_draft, all_answers(TBSC2, ["abuser"]))
    services.complete_screening(sr_draft.id, Screening.objects.all(), Actor(clinician))
    assert _unusable(phone, live) == unknown


def test_a_new_link_cancels_the_one_before(logged_in, sr_draft):
    first, _ = _make_link(logged_in, sr_draft)
    second, _ = _make_link(logged_in, sr_draft)
    assert Browser().get(first).status_code == 404 and Browser().get(second).status_code == 200
    assert SelfReportLink.objects.live().count() == 1
    assert _actions(action__startswith="selfreport.link_") == [
        "selfreport.link_created", "selfreport.link_revoked", "selfreport.link_created", "selfreport.link_refused",
        "selfreport.link_opened"]


def test_link_refuses_another_draft_another_version_and_other_sections(logged_in, sr_draft, clinician, clinic, make_screening):
    from screening.models import Client
    other = Client.objects.create(clinic=clinic, code="C-0002", created_by=clinician)
    other.assigned.add(clinician)
    other_draft = make_screening(other, clinician, bonds=("abuser", "v2v"), complete=False, instrument_key="tbsc-2")
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser()
    response = phone.post(f"{path}abuser/", {**_post(sr_draft, {"put-you-down": "2"}), "draft": str(other_draft.id)})
    assert response.status_code == 400 and "another set of questions" in response.content.decode()
    assert phone.post(f"{path}abuser/save/", _post(sr_draft, {"put-you-down": "2"}, instrument="tbsc-1")).status_code == 400
    assert phone.post(f"{path}abuser/save/", _post(sr_draft, {"excused-as-trauma-response": "2"})).status_code == 400
    assert phone.get(f"{path}v2v/").status_code == 404  # not in this draft
    assert phone.post(f"{path}finish/", {"draft": str(other_draft.id)}).status_code == 400
    assert not Answer.objects.exists() and SelfReportLink.objects.get().submitted_at is None


def test_a_link_opens_its_own_draft_only(logged_in, sr_draft, clinician, make_screening, client_record):
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser()
    assert phone.get(path).status_code == 200
    for url in (reverse("screening:screening_step", args=[sr_draft.id, "safety"]),
                reverse("screening:client_detail", args=[client_record.id]),
                reverse("screening:home")):
        assert phone.get(url)["Location"].startswith(reverse("login")), url


def test_link_guessing_is_rate_limited(settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "self_report_link": {"per_link": 600, "refused_per_address": 3}}
    phone = Browser()
    assert [phone.get(f"/r/guess-{i}/").status_code for i in range(4)] == [404, 404, 404, 429]


def test_a_link_is_rate_limited_per_link(settings, logged_in, sr_draft):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "self_report_link": {"per_link": 3, "refused_per_address": 30}}
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser()
    assert [phone.get(path).status_code for _ in range(4)] == [200, 200, 200, 429]


# The clinician reviews and completes ------------------------------------------------------------

def test_clinician_change_keeps_the_clients_original(logged_in, sr_draft, clinician):
    path, _ = _make_link(logged_in, sr_draft)
    Browser().post(f"{path}abuser/save/", _post(sr_draft, {"put-you-down": "3", "afraid-of-them": "1"}))
    services.save_answers(sr_draft, "abuser", {"put-you-down": 1}, actor=Actor(clinician))
    changed, kept = sr_draft.answers.get(item_key="put-you-down"), sr_draft.answers.get(item_key="afraid-of-them")
    assert (changed.value, changed.given_by, changed.client_answer, changed.changed_from_client) == (1, "clinician", "3", True)
    assert (kept.given_by, kept.changed_from_client) == ("client", False)
    page = logged_in.get(reverse("screening:screening_step", args=[sr_draft.id, "abuser"])).content.decode()
    assert "Changed from the client’s own answer: “Almost always”" in page and "The client’s own answer" in page


def test_review_lists_what_the_client_skipped_first_and_completion_locks(logged_in, sr_draft, clinician):
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser()
    phone.post(f"{path}abuser/save/", _post(sr_draft, {"put-you-down": "2"}))
    phone.post(f"{path}finish/", {"draft": str(sr_draft.id)})
    review = logged_in.get(reverse("screening:screening_step", args=[sr_draft.id, "review"]))
    missing = review.context["missing"]
    assert missing[0]["step"] == "safety"
    body = review.content.decode()
    assert "The client left" in body and "Safety not fully assessed" in body
    assert body.index("The client left") < body.index("answered ✓") if "answered ✓" in body else True
    # The clinician asks the rest; the "not fully assessed" flag closes when every safety question is answered.
    answers = all_answers(TBSC2, ["abuser"], value=0)
    fill(sr_draft, {k: v for k, v in answers.items() if k != ("abuser", "put-you-down")})
    flag = SafetyFlag.objects.get(kind="not_assessed")
    assert flag.withdrawn_at is not None
    outcome = services.complete_screening(sr_draft.id, Screening.objects.all(), Actor(clinician))
    assert outcome.completed
    sr_draft.refresh_from_db()
    assert sr_draft.administration.startswith("Self-report by link, submitted ")
    assert sr_draft.administration.endswith(f"reviewed and completed by {clinician.get_full_name()}")
    assert sr_draft.answers.get(item_key="put-you-down").given_by == "client"


def test_draft_shows_a_pending_link(logged_in, sr_draft):
    _make_link(logged_in, sr_draft)
    page = logged_in.get(reverse("screening:screening_step", args=[sr_draft.id, "review"])).content.decode()
    assert "A link is waiting for the client" in page


# Who may do what ---------------------------------------------------------------------------------

def test_outsider_and_unassigned_teammate_cannot_hand_over(client, sr_draft, outsider, teammate):
    for user in (outsider, teammate):
        client.force_login(user)
        assert client.post(reverse("screening:link_create", args=[sr_draft.id])).status_code == 404
        assert client.post(reverse("screening:tablet_hand_over", args=[sr_draft.id])).status_code == 404
        assert "tablet" not in client.session
    assert not SelfReportLink.objects.exists()


def test_teammate_cannot_cancel_another_clinics_link(client, logged_in, sr_draft, outsider):
    _make_link(logged_in, sr_draft)
    link = SelfReportLink.objects.get()
    client.force_login(outsider)
    assert client.post(reverse("screening:link_revoke", args=[sr_draft.id, link.id])).status_code == 404
    link.refresh_from_db()
    assert link.is_usable


def test_tablet_session_of_a_reassigned_client_shows_nothing(logged_in, sr_draft, clinician):
    _hand_over(logged_in, sr_draft)
    logged_in.post(_tablet("autosave", "safety"), _post(sr_draft, {"safety-violence": "0"}))
    sr_draft.client.assigned.remove(clinician)
    closed = logged_in.get(_tablet("section", "safety"))
    assert closed.status_code == 200 and "These questions are closed" in closed.content.decode()
    assert "safety-violence" not in closed.content.decode()
    assert logged_in.get(reverse("screening:home"))["Location"] == _tablet("start")  # still locked
    assert logged_in.post(_tablet("autosave", "safety"), _post(sr_draft, {"safety-violence": "1"})).status_code == 409
    back = logged_in.post(_tablet("return"), {"password": PASSWORD})
    assert back["Location"] == reverse("screening:home") and logged_in.get(back["Location"]).status_code == 200


def test_discarding_the_draft_kills_its_link(logged_in, sr_draft, clinician):
    path, _ = _make_link(logged_in, sr_draft)
    services.discard_draft(sr_draft, Actor(clinician))
    assert Browser().get(path).status_code == 404
    assert not SelfReportLink.objects.exists()


# At the same moment ------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_submit_once(sr_draft, clinician):
    from tests.test_concurrency import _concurrently

    link, token = selfreport.create_link(sr_draft, Actor(clinician))
    path = reverse("selfreport:link_start", args=[token])
    results = _concurrently(*(lambda: Browser().post(f"{path}finish/", {"draft": str(sr_draft.id)}) for _ in range(2)))
    assert [r.status_code for r in results] == [302, 302], results
    assert {r["Location"] for r in results} == {f"{path}done/"}
    assert _actions(action="selfreport.link_submitted") == ["selfreport.link_submitted"]
    assert SafetyFlag.objects.filter(screening=sr_draft, kind="not_assessed").count() == 1
    assert _actions(action="flag.raised") == ["flag.raised"]
    link.refresh_from_db()
    assert link.submitted_at is not None and link.revoked_at is None


@pytest.mark.django_db(transaction=True)
def test_submit_and_cancel_at_once_do_one_or_the_other(sr_draft, clinician):
    from tests.test_concurrency import _concurrently

    link, token = selfreport.create_link(sr_draft, Actor(clinician))
    path = reverse("selfreport:link_start", args=[token])
    _concurrently(
        lambda: Browser().post(f"{path}finish/", {"draft": str(sr_draft.id)}),
        lambda: selfreport.revoke_link(link, Actor(clinician)),
    )
    link.refresh_from_db()
    sr_draft.refresh_from_db()
    done = _actions(action__in=["selfreport.link_submitted", "selfreport.link_revoked"])
    if link.submitted_at:
        assert link.revoked_at is None and done == ["selfreport.link_submitted"] and sr_draft.client_finished_at
    else:
        assert link.revoked_at and done == ["selfreport.link_revoked"] and sr_draft.client_finished_at is None
        assert not SafetyFlag.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_client_answer_and_completion_at_once(sr_draft, clinician):
    """The client clicks "Yes" as the clinician completes: either the answer is in the completed
    screening with its flag, or it is refused and nothing of it is stored."""
    from tests.test_concurrency import _concurrently

    fill(sr_draft, all_answers(TBSC2, ["abuser"], value=0))
    link, token = selfreport.create_link(sr_draft, Actor(clinician))
    path = reverse("selfreport:link_start", args=[token])
    save, completion = _concurrently(
        lambda: Browser().post(f"{path}safety/save/", _post(sr_draft, {"safety-self-harm": "1"})),
        lambda: services.complete_screening(sr_draft.id, Screening.objects.all(), Actor(clinician)),
    )
    assert completion.completed
    answer = sr_draft.answers.get(item_key="safety-self-harm")
    flags = list(SafetyFlag.objects.filter(screening=sr_draft).values_list("item_key", flat=True))
    if save.status_code == 200:
        assert answer.value == 1 and answer.given_by == "client" and flags == ["safety-self-harm"]
        sr_draft.refresh_from_db()
        assert sr_draft.scores is not None
    else:
        assert save.status_code == 410 and answer.value == 0 and flags == []
    assert _actions(action="screening.completed") == ["screening.completed"]


def test_a_link_that_runs_out_unsent_ends_the_clients_part(logged_in, sr_draft, clinician):
    path, _ = _make_link(logged_in, sr_draft)
    Browser().post(f"{path}safety/save/", _post(sr_draft, {"safety-suicidal-thoughts": "0"}))
    hour_ago = timezone.now() - timedelta(hours=1)
    SelfReportLink.objects.update(created_at=hour_ago - timedelta(hours=72), expires_at=hour_ago)
    assert not SafetyFlag.objects.exists()
    page = logged_in.get(reverse("screening:screening_step", args=[sr_draft.id, "review"])).content.decode()
    assert "Safety not fully assessed" in page and "The client left" in page
    sr_draft.refresh_from_db()
    assert sr_draft.client_finished_at is not None
    assert _actions(action="selfreport.link_lapsed") == ["selfreport.link_lapsed"]
    logged_in.get(reverse("screening:screening_step", args=[sr_draft.id, "review"]))
    assert _actions(action="selfreport.link_lapsed") == ["selfreport.link_lapsed"]  # once
    assert "Self-report by link, not sent by the client (the link ended " in sr_draft.administration


def test_cancelling_a_link_the_client_answered_through_ends_their_part(logged_in, sr_draft, clinician):
    path, _ = _make_link(logged_in, sr_draft)
    Browser().post(f"{path}abuser/save/", _post(sr_draft, {"put-you-down": "2"}))
    link = SelfReportLink.objects.get()
    logged_in.post(reverse("screening:link_revoke", args=[sr_draft.id, link.id]))
    flag = SafetyFlag.objects.get(screening=sr_draft)
    assert flag.kind == "not_assessed" and flag.raised_by == clinician
    assert _actions(action__startswith="selfreport.link_") == [
        "selfreport.link_created", "selfreport.link_revoked", "selfreport.link_lapsed"]


def test_client_pages_have_the_same_csp_and_nothing_from_elsewhere(logged_in, sr_draft):
    clinician_csp = logged_in.get(reverse("screening:home"))["Content-Security-Policy"]
    path, _ = _make_link(logged_in, sr_draft)
    phone = Browser()
    pages = [phone.get(url) for url in (path, f"{path}safety/", f"{path}abuser/", f"{path}finish/", "/r/unknown/")]
    _hand_over(logged_in, sr_draft)
    pages += [logged_in.get(_tablet("start")), logged_in.get(_tablet("section", "safety")), logged_in.get(_tablet("return"))]
    for page in pages:
        body = page.content.decode()
        assert page["Content-Security-Policy"] == clinician_csp and page["X-Frame-Options"] == "DENY"
        assert not re.search(r'(src|href)="(https?:)?//', body), body[:500]
        assert "<script>" not in body and "style=" not in body and "no-store" in page["Cache-Control"]


def test_client_pages_let_the_browser_send_its_origin(logged_in, sr_draft):
    """A "no-referrer" policy makes Chromium post forms with Origin: null, which the CSRF check
    refuses: every button on the client's pages would fail (the e2e journeys click them)."""
    path, _ = _make_link(logged_in, sr_draft)
    page = Browser().get(f"{path}safety/").content.decode()
    assert '<meta name="referrer" content="same-origin">' in page
    refused = Browser(enforce_csrf_checks=True)
    refused.get(f"{path}safety/")
    token = refused.cookies["csrftoken"].value
    data = {**_post(sr_draft, {"safety-violence": "0"}), "csrfmiddlewaretoken": token}
    assert refused.post(f"{path}safety/", data, HTTP_ORIGIN="null").status_code == 403
    assert refused.post(f"{path}safety/", data, HTTP_ORIGIN="http://testserver").status_code == 302
