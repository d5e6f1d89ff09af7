"""On SQLite too, safety follow-ups refuse UPDATE and DELETE in the table, as migration 0004 makes them
on PostgreSQL.

SQLite has no TRUNCATE: the test suite's flush of a transactional test's database lifts these
triggers for the length of that flush only (tests/conftest.py), never the application.

A later migration that makes Django rebuild this table on SQLite (most field changes: a new table is
copied in and the old one dropped) drops these triggers with the old table; such a migration must
create them again. tests/test_flags.py fails if they are missing.
"""

from django.db import migrations

TRIGGERS = {
    "screening_followup_no_update": "UPDATE",
    "screening_followup_no_delete": "DELETE",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name, operation in TRIGGERS.items():
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON screening_followup "
                f"BEGIN SELECT RAISE(ABORT, 'safety follow-ups are append-only ({operation} refused)'); END;",
                params=None,
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};", params=None)


class Migration(migrations.Migration):
    dependencies = [("screening", "0008_safety_flags_tiers_withdrawal_and_discard")]
    operations = [migrations.RunPython(forwards, backwards)]
