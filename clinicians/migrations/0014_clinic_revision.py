"""Clinic.revision: a number the database raises whenever something every report of the clinic shows
changes: the clinic's own row (its name, its crisis resources, any setting) or the name or e-mail of one
of its clinicians (both clinics, when one is moved and renamed at once). A results page kept under a
client's revision keeps its clinic's too (reports/results_page.py); screening migration 0015 raises it
when a reliability estimate is added.

On PostgreSQL a BEFORE trigger sets OLD + 1 on every update of the clinic's row; on SQLite an AFTER
trigger corrects an update that did not raise it. Either way a stale model instance saved later never
lowers it. A later migration that makes Django rebuild clinicians_clinic or clinicians_user on SQLite
drops their triggers with the old table and must create them again (backwards() before, forwards()
after); tests/test_client_revision.py fails if one is missing.
"""

from django.db import migrations, models

PG_CREATE = [
    """
CREATE OR REPLACE FUNCTION clinicians_clinic_revision_up() RETURNS trigger AS $$
BEGIN
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
    "CREATE TRIGGER clinicians_clinic_revision_up BEFORE UPDATE ON clinicians_clinic "
    "FOR EACH ROW EXECUTE FUNCTION clinicians_clinic_revision_up()",
    """
CREATE OR REPLACE FUNCTION clinicians_user_revises_clinic() RETURNS trigger AS $$
BEGIN
    UPDATE clinicians_clinic SET revision = revision + 1 WHERE id IN (OLD.clinic_id, NEW.clinic_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    "CREATE TRIGGER clinicians_user_revises_clinic AFTER UPDATE OF full_name, email ON clinicians_user FOR EACH ROW "
    "WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name OR OLD.email IS DISTINCT FROM NEW.email) "
    "EXECUTE FUNCTION clinicians_user_revises_clinic()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS clinicians_clinic_revision_up ON clinicians_clinic",
    "DROP FUNCTION IF EXISTS clinicians_clinic_revision_up()",
    "DROP TRIGGER IF EXISTS clinicians_user_revises_clinic ON clinicians_user",
    "DROP FUNCTION IF EXISTS clinicians_user_revises_clinic()",
]
SQLITE = [
    ("clinicians_clinic_revision_up",
     "AFTER UPDATE ON clinicians_clinic WHEN NEW.revision <= OLD.revision BEGIN "
     "UPDATE clinicians_clinic SET revision = OLD.revision + 1 WHERE id = NEW.id; END"),
    ("clinicians_user_revises_clinic",
     "AFTER UPDATE OF full_name, email ON clinicians_user "
     "WHEN OLD.full_name IS NOT NEW.full_name OR OLD.email IS NOT NEW.email BEGIN "
     "UPDATE clinicians_clinic SET revision = revision + 1 WHERE id IN (OLD.clinic_id, NEW.clinic_id); END"),
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in PG_CREATE:
            schema_editor.execute(statement, params=None)
    elif vendor == "sqlite":
        for name, body in SQLITE:
            schema_editor.execute(f"CREATE TRIGGER {name} {body};", params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in PG_DROP:
            schema_editor.execute(statement, params=None)
    elif vendor == "sqlite":
        for name, _body in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};", params=None)


class Migration(migrations.Migration):
    dependencies = [("clinicians", "0013_clinic_pool_reliability_estimates")]
    operations = [
        migrations.AddField(
            model_name="clinic",
            name="revision",
            field=models.PositiveBigIntegerField(
                default=0, editable=False,
                help_text="Raised by database triggers whenever something every report of the clinic shows changes."),
        ),
        migrations.RunPython(forwards, backwards),
    ]
