"""Each audited action leaves exactly its row; rows can be read and exported, never changed."""

import csv
import io
import re

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse

from audit.append_only import AppendOnlyError
from audit.models import AuditEvent
from tests.conftest import PASSWORD, log_in_verified


def _rows(**filters):
    return list(AuditEvent.objects.filter(**filters))


def _new_rows(before):
    return [e for e in AuditEvent.objects.order_by("id") if e.id not in before]


@pytest.fixture
def mark():
    return lambda: set(AuditEvent.objects.values_list("id", flat=True))


def test_login_logout_and_failed_login(client, clinician, mark):
    before = mark()
    client.post(reverse("login"), {"username": clinician.email, "password": "wrong"})
    client.post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    client.post(reverse("logout"))
    rows = _new_rows(before)
    assert [(r.action, r.actor_id, r.actor_email) for r in rows] == [
        ("account.login_failed", None, clinician.email),
        ("account.login", clinician.id, clinician.email),
        ("account.logout", clinician.id, clinician.email),
    ]
    assert all(r.ip_address == "127.0.0.1" and r.clinic_id == clinician.clinic_id for r in rows)


@pytest.mark.parametrize("step,action,object_type", [
    ("view_client", "client.viewed", "client"),
    ("start", "screening.started", "screening"),
    ("complete", "screening.completed", "screening"),
    ("results", "report.results_viewed", "screening"),
    ("pdf", "report.downloaded", "screening"),
    ("discard", "screening.discarded", "screening"),
])
def test_each_clinical_action_leaves_one_row(logged_in, clinician, client_record, make_screening, instrument, mark,
                                              step, action, object_type):
    from tests.conftest import all_answers, fill

    completed = make_screening(client_record, clinician) if step in ("results", "pdf") else None
    draft = make_screening(client_record, clinician, complete=False) if step in ("complete", "discard") else None
    if step == "complete":
        fill(draft, all_answers(instrument, ["abuser", "v2v"]))
    before = mark()
    request = {
        "view_client": lambda: logged_in.get(reverse("screening:client_detail", args=[client_record.id])),
        "start": lambda: logged_in.post(reverse("screening:screening_start", args=[client_record.id])),
        "complete": lambda: logged_in.post(reverse("screening:screening_complete", args=[draft.id]), {"confirm": "1"}),
        "results": lambda: logged_in.get(reverse("reports:results", args=[completed.id])),
        "pdf": lambda: logged_in.get(reverse("reports:intake_pdf", args=[completed.id])),
        "discard": lambda: logged_in.post(reverse("screening:screening_discard", args=[draft.id])),
    }[step]
    request()
    rows = _new_rows(before)
    assert [(r.action, r.object_type, r.client_id, r.actor_id) for r in rows] == [
        (action, object_type, client_record.id, clinician.id)
    ]


def test_resuming_a_draft_is_not_a_new_screening(logged_in, clinician, client_record, make_screening, mark):
    make_screening(client_record, clinician, complete=False)
    before = mark()
    logged_in.post(reverse("screening:screening_start", args=[client_record.id]))
    assert _new_rows(before) == []


def test_admin_actions_leave_one_row_each(client, clinic_admin, clinician, mark):
    client.force_login(clinic_admin)
    before = mark()
    client.post(reverse("clinicians:invite"), {"email": "new@riverside.test", "role": "clinician"})
    client.post(reverse("clinicians:member_deactivate", args=[clinician.id]))
    client.post(reverse("clinicians:member_reactivate", args=[clinician.id]))
    client.get(reverse("reports:audit_trail_csv"))
    assert [(r.action, r.actor_id) for r in _new_rows(before)] == [
        ("account.invited", clinic_admin.id), ("account.deactivated", clinic_admin.id),
        ("account.reactivated", clinic_admin.id), ("report.exported", clinic_admin.id),
    ]
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    before = mark()
    client.post(link, {"full_name": "Nia", "password1": "violet-harbour-42x", "password2": "violet-harbour-42x"})
    assert [r.action for r in _new_rows(before)] == ["account.invitation_accepted", "account.login"]


def test_audit_rows_cannot_be_changed_or_deleted(clinician):
    event = AuditEvent.objects.create(actor=clinician, clinic=clinician.clinic, action="account.login")
    event.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).detail == ""


def test_database_refuses_raw_update_and_delete(clinician):
    """PostgreSQL and SQLite triggers (audit migrations 0003 and 0004), whatever client connects."""
    from django.db import DatabaseError

    event = AuditEvent.objects.create(actor=clinician, clinic=clinician.clinic, action="account.login")
    for sql in ("UPDATE audit_auditevent SET detail = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.id])
    assert AuditEvent.objects.filter(pk=event.pk, detail="").exists()


def test_no_update_or_delete_in_the_django_admin(client, staff, clinician):
    from django.contrib.admin.sites import site

    admin_client = log_in_verified(client, staff)
    event = AuditEvent.objects.create(actor=clinician, clinic=clinician.clinic, action="account.login")
    model_admin = site._registry[AuditEvent]
    request = admin_client.get("/").wsgi_request
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert admin_client.post(reverse("admin:audit_auditevent_delete", args=[event.id]), {"post": "yes"}).status_code == 403


def test_audit_page_filters_and_exports(client, clinic_admin, clinician, outsider, client_record, make_screening):
    make_screening(client_record, clinician)
    client.force_login(clinician)
    client.get(reverse("screening:client_detail", args=[client_record.id]))
    client.force_login(outsider)
    client.get(reverse("screening:home"))
    AuditEvent.objects.create(actor=outsider, clinic=outsider.clinic, action="client.viewed", detail="other clinic")

    client.force_login(clinic_admin)
    page = client.get(reverse("reports:audit_trail"), {"action": "client.viewed", "actor": clinician.id}).content.decode()
    assert "Viewed a client" in page and "C-0001" in page and "other clinic" not in page
    page = client.get(reverse("reports:audit_trail"), {"client": client_record.id}).content.decode()
    assert "C-0001" in page

    response = client.get(reverse("reports:audit_trail_csv"), {"action": "client.viewed"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["action"], r["email"], r["client"]) for r in rows] == [("client.viewed", clinician.email, "C-0001")]


def test_urls_carry_no_client_code(client, clinic_admin, client_record):
    client.force_login(clinic_admin)
    body = client.get(reverse("reports:audit_trail")).content.decode()
    for href in re.findall(r'href="([^"]+)"', body) + re.findall(r'action="([^"]+)"', body):
        assert "C-0001" not in href


def test_an_unregistered_action_is_refused(clinician):
    from audit.trail import record
    from clinicians.actors import Actor

    with pytest.raises(ValueError, match="Unregistered audit action"):
        record("screening.teleported", Actor(clinician))
    assert not AuditEvent.objects.exists()


def test_actions_are_namespaced_and_labelled_by_their_apps():
    from audit import actions
    from clinicians import audit_actions as account_actions
    from reports import audit_actions as report_actions
    from screening import audit_actions as screening_actions

    names = dict(actions.choices())
    for module in (account_actions, screening_actions, report_actions):
        for name, label in module.ACTIONS.items():
            assert actions.NAME.match(name) and names[name] == label
    assert actions.label("screening.completed") == "Completed a screening"
    assert actions.label("retired.action") == "retired.action"  # an old row still reads


def test_unchanged_settings_and_repeated_deactivation_write_nothing(client, clinic_admin, clinician, mark):
    client.force_login(clinic_admin)
    page = client.get(reverse("clinicians:clinic_settings"))
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    before = mark()
    client.post(reverse("clinicians:clinic_settings"), data)
    assert _new_rows(before) == []
    client.post(reverse("clinicians:member_deactivate", args=[clinician.id]))
    client.post(reverse("clinicians:member_deactivate", args=[clinician.id]))
    assert [r.action for r in _new_rows(before)] == ["account.deactivated"]


@pytest.mark.django_db(transaction=True)
def test_old_rows_move_to_the_audit_app_with_namespaced_names(clinic, clinician, client_record):
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate([("clinicians", "0009_recovery_codes_hashed"), ("audit", None)])
    with connection.cursor() as cursor:
        for action, client_id in (("login", None), ("client_viewed", client_record.id.hex), ("export", None)):
            cursor.execute(
                "INSERT INTO clinicians_auditevent (at, actor_id, actor_email, clinic_id, action, object_type, object_id,"
                " client_id, ip_address, detail) VALUES (%s, %s, %s, %s, %s, '', '', %s, '127.0.0.1', 'old row')",
                ["2026-01-02 03:04:05+00:00", clinician.id.hex if connection.vendor == "sqlite" else clinician.id,
                 clinician.email, clinic.id.hex if connection.vendor == "sqlite" else clinic.id, action,
                 client_id if client_id is None or connection.vendor == "sqlite" else client_record.id],
            )
    migrate(latest)
    rows = list(AuditEvent.objects.order_by("id").values_list("action", "client_id", "actor_id", "detail"))
    assert rows == [
        ("account.login", None, clinician.id, "old row"),
        ("client.viewed", client_record.id, clinician.id, "old row"),
        ("report.exported", None, clinician.id, "old row"),
    ]
    assert [e.get_action_display() for e in AuditEvent.objects.order_by("id")] == ["Logged in", "Viewed a client", "Exported data"]
    new = AuditEvent.objects.create(actor=clinician, clinic=clinic, action="account.login")
    assert new.id > max(r.id for r in AuditEvent.objects.exclude(pk=new.pk))  # the id sequence continues


def test_flag_page_and_schedule_changes_are_audited(logged_in, client_record, clinician, make_screening):
    from audit.models import AuditEvent

    flag = make_screening(client_record, clinician, safety_yes=("safety-substance-use",)).safety_flags.get()
    logged_in.get(reverse("screening:flag_detail", args=[flag.id]))
    assert AuditEvent.objects.filter(action="client.viewed", detail="safety flag", client_id=client_record.id).count() == 1
    logged_in.post(reverse("screening:client_schedule", args=[client_record.id]), {"rescreen_interval_days": "30"})
    assert AuditEvent.objects.get(action="client.schedule_changed").detail == "every 30 days"


def test_audit_csv_refuses_a_filter_it_cannot_read(client, clinic_admin):
    client.force_login(clinic_admin)
    response = client.get(reverse("reports:audit_trail_csv"), {"client": "not-a-client"})
    assert response.status_code == 400 and b"nothing was exported" in response.content


def test_opening_a_drafts_steps_or_the_amend_page_is_audited(logged_in, clinician, client_record, make_screening, mark):
    completed = make_screening(client_record, clinician)
    draft = make_screening(client_record, clinician, complete=False)
    before = mark()
    logged_in.get(reverse("screening:screening_step", args=[draft.id, "abuser"]))
    logged_in.get(reverse("screening:screening_amend", args=[completed.id]))
    rows = [(r.action, r.object_id, r.client_id, r.detail) for r in _new_rows(before)]
    assert rows == [
        ("screening.opened", str(draft.id), client_record.id, "draft, step abuser"),
        ("screening.opened", str(completed.id), client_record.id, "amend page"),
    ]


def test_site_admin_views_of_clinical_records_are_audited(client, staff, clinic, clinic_admin, clinician, outsider,
                                                          client_record, make_screening, mark):
    from screening.models import Client

    screening = make_screening(client_record, clinician, safety_yes=("safety-physical-violence",))
    flag = screening.safety_flags.get()
    elsewhere = Client.objects.create(clinic=outsider.clinic, code="H-0001", created_by=outsider)
    log_in_verified(client, staff)
    before = mark()
    for model, record in (("client", client_record), ("screening", screening), ("safetyflag", flag)):
        assert client.get(reverse(f"admin:screening_{model}_change", args=[record.id])).status_code == 200
    rows = [(r.action, r.actor_id, r.object_type, r.object_id, r.client_id, r.clinic_id, r.ip_address)
            for r in _new_rows(before)]
    assert rows == [
        ("admin.viewed_record", staff.id, model, str(record.id), client_record.id, clinic.id, "127.0.0.1")
        for model, record in (("client", client_record), ("screening", screening), ("safetyflag", flag))
    ]

    # A list: a row for each record it shows, under that record's clinic.
    before = mark()
    assert client.get(reverse("admin:screening_client_changelist")).status_code == 200
    rows = {(r.object_id, r.client_id, r.clinic_id, r.detail) for r in _new_rows(before)}
    assert rows == {(str(c.id), c.id, c.clinic_id, "site admin, client list") for c in (client_record, elsewhere)}

    # Each clinic's admin sees who looked at their clients, and only at theirs.
    client.force_login(clinic_admin)
    page = client.get(reverse("reports:audit_trail"), {"action": "admin.viewed_record"})
    assert page.context["page"].paginator.count == 4
    assert "Sam Staff" in page.content.decode() and "C-0001" in page.content.decode()
    assert "H-0001" not in page.content.decode()
