"""The audit trail now lives in the audit app (its rows were copied by audit 0002); the old table,
and its PostgreSQL trigger, go."""

from django.db import migrations

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS clinicians_auditevent_no_update_delete ON clinicians_auditevent;
DROP FUNCTION IF EXISTS clinicians_auditevent_append_only();
"""


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("clinicians", "0009_recovery_codes_hashed"),
        ("audit", "0002_rows_from_clinicians_with_namespaced_actions"),
    ]
    operations = [
        migrations.RunPython(drop_trigger, migrations.RunPython.noop),
        migrations.DeleteModel(name="AuditEvent"),
    ]
