"""The trail's rows move from clinicians_auditevent, their actions renamed to namespaced strings.

Ids are kept (the trail's order and any id quoted elsewhere stay true); the client is kept by id.
"""

from django.db import migrations

RENAMED = {
    "login": "account.login",
    "logout": "account.logout",
    "login_failed": "account.login_failed",
    "lockout": "account.locked_out",
    "unlock": "account.unlocked",
    "invitation_sent": "account.invited",
    "invitation_accepted": "account.invitation_accepted",
    "user_deactivated": "account.deactivated",
    "user_reactivated": "account.reactivated",
    "two_factor_enabled": "account.two_factor_enabled",
    "two_factor_reset": "account.two_factor_reset",
    "settings_changed": "clinic.settings_changed",
    "client_created": "client.created",
    "client_viewed": "client.viewed",
    "client_assigned": "client.assigned",
    "client_schedule": "client.schedule_changed",
    "screening_created": "screening.started",
    "screening_completed": "screening.completed",
    "screening_amended": "screening.amended",
    "screening_discarded": "screening.discarded",
    "flag_follow_up": "flag.follow_up",
    "results_viewed": "report.results_viewed",
    "report_downloaded": "report.downloaded",
    "export": "report.exported",
}

COLUMNS = "id, at, actor_id, actor_email, clinic_id, action, object_type, object_id, client_id, ip_address, detail"


def _case(column, mapping):
    whens = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in mapping.items())
    return f"CASE {column} {whens} ELSE {column} END"


def forwards(apps, schema_editor):
    source = COLUMNS.replace("action,", _case("action", RENAMED) + ",")
    schema_editor.execute(f"INSERT INTO audit_auditevent ({COLUMNS}) SELECT {source} FROM clinicians_auditevent")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
            "FROM audit_auditevent"
        )


def backwards(apps, schema_editor):
    old_names = {new: old for old, new in RENAMED.items()}
    source = COLUMNS.replace("action,", _case("action", old_names) + ",")
    schema_editor.execute(f"INSERT INTO clinicians_auditevent ({COLUMNS}) SELECT {source} FROM audit_auditevent")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_audit_trail"),
        ("clinicians", "0007_audit_schedule_action"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
