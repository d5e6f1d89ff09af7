"""Safety in checklist version 2: raised when disclosed, withdrawn only as entered in error, never
assessed by omission; tiers, reasons, conditional questions and the resolution rule."""

import uuid

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from clinicians.actors import Actor
from screening import flags, services
from screening.forms.steps import item_field_name, reason_field_name
from screening.models import SafetyFlag, Screening

V2 = "tbsc-2"


@pytest.fixture
def v2_draft(client_record, clinician, make_screening):
    return make_screening(client_record, clinician, bonds=("abuser",), complete=False, instrument_key=V2)


def _autosave(client, draft, data, step="safety"):
    return client.post(reverse("screening:screening_autosave", args=[draft.id, step]), {"instrument": V2, **data},
                       HTTP_X_AUTOSAVE="1")


def _actions():
    return list(AuditEvent.objects.filter(action__startswith="flag.").order_by("id").values_list("action", "detail"))


def test_safety_comes_right_after_the_bond_choice(v2_draft):
    from screening.steps import steps_for

    assert [s.slug for s in steps_for(v2_draft.instrument, ["abuser"], True)] == ["bonds", "safety", "abuser", "protective", "review"]


def test_a_yes_raises_its_flag_at_once_and_a_change_withdraws_it(logged_in, clinician, v2_draft):
    response = _autosave(logged_in, v2_draft, {item_field_name("safety-suicidal-thoughts"): "1"})
    assert response.status_code == 200
    flag = SafetyFlag.objects.get(client=v2_draft.client)
    assert (flag.title, flag.tier, flag.is_open, flag.raised_by, flag.screening_id) == (
        "Suicidal thoughts", "act_now", True, clinician, v2_draft.id)

    # Seen at once, before completion: home page, client page, and the question with its guidance.
    home = logged_in.get(reverse("screening:home")).content.decode()
    assert "Suicidal thoughts" in home and "screening not yet completed" in home and "Act this session" in home
    client_page = logged_in.get(reverse("screening:client_detail", args=[v2_draft.client_id])).content.decode()
    assert "Suicidal thoughts" in client_page.split("Safety flag history")[0]
    step = logged_in.get(reverse("screening:screening_step", args=[v2_draft.id, "safety"])).content.decode()
    assert "flag raised" in step and "988" in step and "Complete a suicide risk assessment" in step
    assert 'data-disclosure-for="item-safety-suicidal-thoughts">' in step  # shown, not hidden
    assert 'data-disclosure-for="item-safety-violence" hidden>' in step  # the others wait for a "Yes"

    # Changed to "No" before completion: withdrawn as entered in error, with who and when, kept in history.
    _autosave(logged_in, v2_draft, {item_field_name("safety-suicidal-thoughts"): "0"})
    flag.refresh_from_db()
    assert not flag.is_open and flag.is_withdrawn and flag.withdrawn_by == clinician and flag.withdrawn_at
    assert flag.withdrawn_reason == flags.ENTERED_IN_ERROR
    assert [a for a, _ in _actions()] == ["flag.raised", "flag.withdrawn"]
    history = logged_in.get(reverse("screening:client_detail", args=[v2_draft.client_id])).content.decode()
    assert "Withdrawn" in history.split("Safety flag history")[1]
    assert "Suicidal thoughts" not in logged_in.get(reverse("screening:home")).content.decode()

    # Saying "Yes" again raises a new flag; the withdrawn one stays as it was.
    _autosave(logged_in, v2_draft, {item_field_name("safety-suicidal-thoughts"): "1"})
    assert SafetyFlag.objects.filter(client=v2_draft.client).count() == 2
    assert SafetyFlag.objects.open().get().item_key == "safety-suicidal-thoughts"


def test_saving_the_same_answer_again_writes_nothing(logged_in, v2_draft):
    for _ in range(3):
        _autosave(logged_in, v2_draft, {item_field_name("safety-violence"): "1"})
    assert SafetyFlag.objects.count() == 1 and [a for a, _ in _actions()] == ["flag.raised"]


def test_a_discarded_draft_keeps_its_disclosures(logged_in, v2_draft):
    _autosave(logged_in, v2_draft, {item_field_name("safety-unsafe-to-leave"): "1"})
    logged_in.post(reverse("screening:screening_discard", args=[v2_draft.id]))
    flag = SafetyFlag.objects.get()
    assert flag.is_open and flag.screening_id is None and flag.draft_discarded_at
    page = logged_in.get(reverse("screening:flag_detail", args=[flag.id]))
    assert page.status_code == 200 and "discarded" in page.content.decode()
    assert "Unsafe to leave" in logged_in.get(reverse("screening:home")).content.decode()
    assert "1 safety flag(s) kept" in AuditEvent.objects.get(action="screening.discarded").detail


def test_declined_safety_question_needs_a_reason_and_raises_not_assessed(logged_in, v2_draft):
    key = item_field_name("safety-violence")
    response = _autosave(logged_in, v2_draft, {key: "declined"})
    assert response.status_code == 400 and reason_field_name("safety-violence") in response.json()["errors"]
    assert not v2_draft.answers.exists() and not SafetyFlag.objects.exists()  # not saved without its reason

    response = _autosave(logged_in, v2_draft, {key: "declined", reason_field_name("safety-violence"): "partner in the room"})
    assert response.status_code == 200
    answer = v2_draft.answers.get()
    assert (answer.state, answer.reason) == ("declined", "partner in the room")
    flag = SafetyFlag.objects.get()
    assert (flag.kind, flag.title, flag.tier) == ("not_assessed", "Safety not fully assessed", "act_now")
    assert "Physical violence or threats (client declined: partner in the room)" in flag.detail

    # Asked later in the session and answered: the "not fully assessed" flag is withdrawn.
    _autosave(logged_in, v2_draft, {key: "0"})
    flag.refresh_from_db()
    assert flag.is_withdrawn and flag.withdrawn_reason == flags.ALL_ANSWERED
    assert v2_draft.answers.get().reason == ""  # a reason belongs to a question without an answer


def test_not_asked_follow_up_question_is_a_follow_up_tier(logged_in, v2_draft):
    _autosave(logged_in, v2_draft, {item_field_name("safety-substance-use"): "not_asked",
                                    reason_field_name("safety-substance-use"): "ran out of time"})
    flag = SafetyFlag.objects.get()
    assert flag.tier == "follow_up" and "not asked: ran out of time" in flag.detail


def test_the_conditional_question_is_asked_only_after_a_yes(v2_draft, current_instrument):
    from screening.scoring import unanswered_items

    no = {("safety", i.key): 0 for i in current_instrument.safety_items if i.key != "safety-thoughts-now"}
    assert ("safety", "safety-thoughts-now") not in unanswered_items(current_instrument, [], no)
    yes = {**no, ("safety", "safety-self-harm"): 1}
    assert ("safety", "safety-thoughts-now") in unanswered_items(current_instrument, [], yes)


def test_does_not_apply_is_offered_for_bond_items_only(logged_in, v2_draft):
    page = logged_in.get(reverse("screening:screening_step", args=[v2_draft.id, "abuser"])).content.decode()
    safety = logged_in.get(reverse("screening:screening_step", args=[v2_draft.id, "safety"])).content.decode()
    assert "Does not apply" in page and "Does not apply" not in safety
    assert "Client declined" in safety and "Not asked" in safety and "Ask this only when the client is alone." in safety
    assert "In the past year, has anyone hit" in safety  # the intake wording of the violence question


def test_intake_only_items_are_not_asked_at_a_rescreen(client_record, clinician, make_screening, current_instrument):
    make_screening(client_record, clinician, instrument_key=V2)
    rescreen = make_screening(client_record, clinician, instrument_key=V2, complete=False)
    assert rescreen.kind == "rescreen"
    keys = {item.key for item in rescreen.instrument.section("abuser", rescreen.is_intake).items}
    assert "fast-intense-start" not in keys and "fast-intense-start" in {i.key for i in current_instrument.items_for_bond("abuser")}
    safety = next(s for s in rescreen.sections() if s.key == "safety")
    violence = next(i for i in safety.items if i.key == "safety-violence")
    assert violence.text_for(rescreen.is_intake).startswith("Since we last met")


@pytest.mark.parametrize("action,resolves", [("declined", False), ("other", False), ("resources", False),
                                             ("risk_assessment", True), ("safety_plan", True), ("referral", True),
                                             ("emergency", True)])
def test_an_act_now_flag_resolves_only_with_an_assessment_plan_referral_or_emergency(
        logged_in, client_record, clinician, make_screening, action, resolves):
    screening = make_screening(client_record, clinician, instrument_key=V2, safety_yes=("safety-suicidal-thoughts",))
    flag = screening.safety_flags.get()
    response = logged_in.post(reverse("screening:flag_detail", args=[flag.id]), {
        "action": action, "note": "Done in session.", "referral_to": "Crisis team", "resolves": "on",
        "submission": str(uuid.uuid4()),
    })
    flag.refresh_from_db()
    assert (flag.resolved_at is not None) is resolves
    if not resolves:
        assert response.status_code == 400 and "stays open" in response.content.decode()
        with pytest.raises(flags.ResolutionRefused):
            flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action=action, note="x",
                                   resolves=True, submission=uuid.uuid4())
        # Recorded without "resolves", the attempt is kept and the flag stays open.
        flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action=action, note="x",
                               submission=uuid.uuid4())
        flag.refresh_from_db()
        assert flag.is_open and flag.follow_ups.count() == 1


def test_a_follow_up_flag_may_be_resolved_by_any_action(client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, instrument_key=V2, safety_yes=("safety-substance-use",))
    flag = screening.safety_flags.get()
    flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="other", note="Talked it through.",
                           resolves=True, submission=uuid.uuid4())
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_completion_after_a_withdrawal_keeps_history_and_cannot_withdraw_later(client_record, clinician, make_screening):
    draft = make_screening(client_record, clinician, instrument_key=V2, complete=False)
    services.save_answers(draft, "safety", {"safety-violence": 1}, actor=Actor(clinician))
    services.save_answers(draft, "safety", {"safety-violence": 0}, actor=Actor(clinician))
    assert SafetyFlag.objects.get().is_withdrawn
    done = make_screening(client_record, clinician, instrument_key=V2, safety_yes=("safety-violence",))
    open_flag = done.safety_flags.open().get()
    # An amendment after completion raises, but never withdraws: a flag is resolved with a follow-up.
    services.amend_screening(done.id, Screening.objects.all(), Actor(clinician), "Misheard.", {"safety": {"safety-violence": 0}})
    open_flag.refresh_from_db()
    assert open_flag.is_open


def test_a_yes_changed_to_declined_stays_disclosed(logged_in, v2_draft):
    _autosave(logged_in, v2_draft, {item_field_name("safety-suicidal-thoughts"): "1"})
    _autosave(logged_in, v2_draft, {item_field_name("safety-suicidal-thoughts"): "declined",
                                    reason_field_name("safety-suicidal-thoughts"): "would not say more"})
    disclosure = SafetyFlag.objects.get(item_key="safety-suicidal-thoughts")
    assert disclosure.is_open and not disclosure.is_withdrawn  # only a change to "No" takes it back
    assert SafetyFlag.objects.open().filter(kind="not_assessed").exists()


def test_not_assessed_flag_followed_up_then_answered_is_closed(logged_in, clinician, v2_draft):
    _autosave(logged_in, v2_draft, {item_field_name("safety-violence"): "not_asked",
                                    reason_field_name("safety-violence"): "partner in the room"})
    flag = SafetyFlag.objects.get(kind="not_assessed")
    flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="other",
                           note="Will ask next time.", submission=uuid.uuid4())
    _autosave(logged_in, v2_draft, {item_field_name("safety-violence"): "0"})
    flag.refresh_from_db()
    assert flag.is_withdrawn and flag.withdrawn_reason == flags.ALL_ANSWERED and flag.follow_ups.count() == 1


def test_an_amendment_to_yes_asks_the_follow_up_question_too(logged_in, client_record, clinician, make_screening,
                                                            current_instrument):
    from tests.conftest import all_answers

    draft = make_screening(client_record, clinician, instrument_key=V2, complete=False)
    answers = all_answers(current_instrument, ["abuser", "v2v"])
    del answers[("safety", "safety-thoughts-now")]  # not asked: both thought questions were "No"
    services.save_answer_set(draft, answers, Actor(clinician))
    done = services.complete_screening(draft.id, Screening.objects.all(), Actor(clinician)).screening
    assert not done.is_draft
    with pytest.raises(services.AmendmentIncomplete):
        services.amend_screening(done.id, Screening.objects.all(), Actor(clinician), "Disclosed later.",
                                 {"safety": {"safety-suicidal-thoughts": 1}})
    assert not done.amendments.exists() and not SafetyFlag.objects.exists()  # all rolled back
    response = logged_in.post(reverse("screening:screening_amend", args=[done.id]), {
        "reason": "Disclosed later.", "safety-item-safety-suicidal-thoughts": "1",
    })
    assert response.status_code == 400 and "Are you having these thoughts now?" in response.content.decode()
    services.amend_screening(done.id, Screening.objects.all(), Actor(clinician), "Disclosed later.",
                             {"safety": {"safety-suicidal-thoughts": 1, "safety-thoughts-now": 0}})
    assert SafetyFlag.objects.open().get().item_key == "safety-suicidal-thoughts"
