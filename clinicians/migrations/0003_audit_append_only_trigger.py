"""On PostgreSQL the audit table refuses UPDATE and DELETE itself, whatever client connects.

(TRUNCATE is left alone so test databases can still be flushed; the application never truncates.)
On SQLite the model and queryset guards in clinicians.models are the guard.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinicians_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER clinicians_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON clinicians_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinicians_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS clinicians_auditevent_no_update_delete ON clinicians_auditevent;
DROP FUNCTION IF EXISTS clinicians_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: the % is PL/pgSQL's


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("clinicians", "0002_access_and_audit")]
    operations = [migrations.RunPython(forwards, backwards)]
