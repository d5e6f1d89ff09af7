"""The autosave endpoint: JSON only, every refusal a JSON message, sharing the step's form and service."""

from django.urls import reverse

from screening.forms.steps import item_field_name
from screening.models import Client


def test_autosave_returns_json(logged_in, client_record, clinician, make_screening, instrument):
    screening = make_screening(client_record, clinician, bonds=("v2v",), complete=False)
    item = instrument.items_for_bond("v2v")[0]
    response = logged_in.post(reverse("screening:screening_autosave", args=[screening.id, "v2v"]),
                              {"instrument": "tbsc-1", item_field_name(item.key): "declined"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 200 and response.json()["saved"] == 1
    answer = screening.answers.get(item_key=item.key)
    assert answer.state == "declined" and answer.value is None


def test_autosave_of_bonds_and_notes(logged_in, client_record, clinician, make_screening):
    screening = make_screening(client_record, clinician, bonds=(), complete=False)
    url = reverse("screening:screening_autosave", args=[screening.id, "bonds"])
    response = logged_in.post(url, {"instrument": "tbsc-1", "v2v_in_scope": "on", "v2v_label": "group friend"},
                              HTTP_X_AUTOSAVE="1")
    assert response.status_code == 200
    screening.refresh_from_db()
    assert screening.bonds_in_scope == ["v2v"] and screening.v2v_label == "group friend"

    response = logged_in.post(url, {"instrument": "tbsc-1"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 400 and "Choose at least one bond" in str(response.json()["errors"])

    response = logged_in.post(reverse("screening:screening_autosave", args=[screening.id, "review"]),
                              {"instrument": "tbsc-1", "notes": "half a thought"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 200
    screening.refresh_from_db()
    assert screening.notes == "half a thought"


def test_autosave_replies_in_json_when_refused(logged_in, client_record, clinician, make_screening):
    completed = make_screening(client_record, clinician)
    response = logged_in.post(reverse("screening:screening_autosave", args=[completed.id, "abuser"]),
                              {"instrument": "tbsc-1"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 409 and "locked" in response.json()["message"]
    other = Client.objects.create(clinic=client_record.clinic, code="J-1", created_by=clinician)
    other.assigned.add(clinician)
    draft = make_screening(other, clinician, bonds=("abuser",), complete=False)
    response = logged_in.post(reverse("screening:screening_autosave", args=[draft.id, "v2v"]),
                              {"instrument": "tbsc-1"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 409 and "not in scope" in response.json()["message"]
    response = logged_in.post(reverse("screening:screening_autosave", args=[draft.id, "abuser"]),
                              {"instrument": "tbsc-0"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 400 and "another version" in response.json()["message"]


def _autosave(draft, step="abuser"):
    return reverse("screening:screening_autosave", args=[draft.id, step])


def _is_json_refusal(response, status):
    assert response.status_code == status and response["Content-Type"] == "application/json"
    return response.json()["message"]


def test_get_is_refused_in_json(logged_in, draft):
    assert "POST" in _is_json_refusal(logged_in.get(_autosave(draft)), 405)


def test_logged_out_is_refused_in_json(client, draft):
    assert "logged out" in _is_json_refusal(client.post(_autosave(draft), {"instrument": "tbsc-1"}), 401)


def test_another_clinics_draft_is_a_json_404(client, outsider, draft):
    client.force_login(outsider)
    assert "no such screening" in _is_json_refusal(client.post(_autosave(draft), {"instrument": "tbsc-1"}), 404)
    assert not draft.answers.exists()


def test_unknown_step_is_a_json_404(logged_in, draft):
    assert "no such step" in _is_json_refusal(logged_in.post(_autosave(draft, "stage-9"), {"instrument": "tbsc-1"}), 404)


def test_foreign_item_is_a_json_400(logged_in, draft, instrument):
    key = instrument.safety_items[0].key
    response = logged_in.post(_autosave(draft), {"instrument": "tbsc-1", item_field_name(key): "1"})
    assert "not part of this step" in _is_json_refusal(response, 400)
    assert not draft.answers.exists()


def test_oversized_body_is_a_json_400_and_saves_nothing(logged_in, draft, instrument, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    key = instrument.items_for_bond("abuser")[0].key
    response = logged_in.post(_autosave(draft), {"instrument": "tbsc-1", item_field_name(key): "1", "pad": "x" * 2000},
                              HTTP_X_AUTOSAVE="1")
    assert "too large" in _is_json_refusal(response, 400)
    assert not draft.answers.exists()


def test_expired_csrf_token_is_a_json_403(clinician, draft):
    from django.test import Client as BrowserClient

    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(clinician)
    response = browser.post(_autosave(draft), {"instrument": "tbsc-1"}, HTTP_X_AUTOSAVE="1")
    assert "security token" in _is_json_refusal(response, 403)


def test_invalid_answer_names_the_field_and_keeps_the_rest(logged_in, draft, instrument):
    first, second = instrument.items_for_bond("abuser")[:2]
    response = logged_in.post(_autosave(draft), {
        "instrument": "tbsc-1", item_field_name(first.key): "9", item_field_name(second.key): "2",
    })
    assert response.status_code == 400
    body = response.json()
    assert body["saved"] == 1 and item_field_name(first.key) in body["errors"] and body["message"]
    assert list(draft.answers.values_list("item_key", "value")) == [(second.key, 2)]
