"""Client.revision: a number the database raises whenever anything a client's reports show changes, so a
page built from it can be kept and served again until it does (reports/results_page.py).

Triggers raise it, not the application: a change made by any code path, a bulk update, the admin or a
shell raises it all the same, in the same transaction as the change. What raises a client's revision:
- any insert, update or delete of its screenings, their answers, amendments and self-report links, its
  safety flags and their follow-ups;
- any update of the client's own row (on PostgreSQL a BEFORE trigger sets OLD + 1, on SQLite an AFTER
  trigger corrects a save that wrote back an older number), so a stale model instance saved later can
  never lower it.
What every report of a clinic shows (its name and crisis resources, its clinicians' names) raises the
clinic's revision instead (clinicians migration 0014), one row rather than every client's; so does a
reliability estimate added here.

PostgreSQL uses statement-level triggers with transition tables, so a bulk insert of answers raises each
client once per statement; SQLite has only row-level triggers.

On SQLite, a later migration that makes Django rebuild screening_client, screening_screening,
screening_safetyflag or clinicians_clinic (most field changes: a new table is copied in, the old one dropped and the new one
renamed) stops with "error in trigger …: no such table", since other tables' triggers name them. Such
a migration runs this one's backwards() first and forwards() last (importlib.import_module
("screening.migrations.0015_client_revision")); the same holds for a rebuild of the other tracked
tables, which would silently drop their own triggers. tests/test_client_revision.py fails if any
trigger is missing, on either database.
"""

from django.db import migrations, models

# table -> (its column naming the client, or a parent row's id; the parent table holding client_id, if any)
TRACKED = {
    "screening_screening": ("client_id", None),
    "screening_safetyflag": ("client_id", None),
    "screening_answer": ("screening_id", "screening_screening"),
    "screening_amendment": ("screening_id", "screening_screening"),
    "screening_followup": ("flag_id", "screening_safetyflag"),
    "screening_selfreportlink": ("screening_id", "screening_screening"),  # when the client sent their answers
}
OPERATIONS = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE screening_client SET revision = revision + 1 WHERE id IN ({ids});"


def client_ids_of_row(row, column, parent):
    """SQLite, per row: the client id of NEW or OLD."""
    return f"SELECT {row}.{column}" if parent is None else f"SELECT client_id FROM {parent} WHERE id = {row}.{column}"


def client_ids_of_rows(rows, column, parent):
    """PostgreSQL, per statement: the client ids of a transition table."""
    if parent is None:
        return f"SELECT r.{column} FROM {rows} r"
    return f"SELECT p.client_id FROM {rows} r JOIN {parent} p ON p.id = r.{column}"


def sqlite_triggers(table, column, parent):
    """(name, body) of the SQLite triggers that raise the revision of the clients of `table`'s rows (also
    used by later migrations of other apps' tables)."""
    triggers = []
    for op in OPERATIONS:
        rows = {"INSERT": ["NEW"], "UPDATE": ["NEW", "OLD"], "DELETE": ["OLD"]}[op]
        ids = " UNION ".join(client_ids_of_row(row, column, parent) for row in rows)
        triggers.append((f"{table}_revises_client_{op.lower()}", f"AFTER {op} ON {table} BEGIN {BUMP.format(ids=ids)} END"))
    return triggers


def pg_statements_for(table, column, parent):
    """The PostgreSQL function and statement-level triggers doing the same."""
    new, old = client_ids_of_rows("new_rows", column, parent), client_ids_of_rows("old_rows", column, parent)
    statements = [f"""
CREATE OR REPLACE FUNCTION {table}_revises_client() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {BUMP.format(ids=new)}
    ELSIF TG_OP = 'UPDATE' THEN
        {BUMP.format(ids=new + " UNION " + old)}
    ELSE
        {BUMP.format(ids=old)}
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql"""]
    referencing = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                   "DELETE": "OLD TABLE AS old_rows"}
    for op in OPERATIONS:
        statements.append(
            f"CREATE TRIGGER {table}_revises_client_{op.lower()} AFTER {op} ON {table} "
            f"REFERENCING {referencing[op]} FOR EACH STATEMENT EXECUTE FUNCTION {table}_revises_client()")
    return statements


def pg_drops_for(table):
    return [f"DROP TRIGGER IF EXISTS {table}_revises_client_{op.lower()} ON {table}" for op in OPERATIONS] + [
        f"DROP FUNCTION IF EXISTS {table}_revises_client()"]


SQLITE = [trigger for table, (column, parent) in TRACKED.items() for trigger in sqlite_triggers(table, column, parent)]
SQLITE.append(("screening_client_revision_up",
               "AFTER UPDATE ON screening_client WHEN NEW.revision <= OLD.revision BEGIN "
               "UPDATE screening_client SET revision = OLD.revision + 1 WHERE id = NEW.id; END"))
SQLITE.append(("screening_reliabilityestimate_revises_clinic",
               "AFTER INSERT ON screening_reliabilityestimate BEGIN "
               "UPDATE clinicians_clinic SET revision = revision + 1 WHERE id = NEW.clinic_id; END"))


def pg_statements():
    statements = [statement for table, (column, parent) in TRACKED.items()
                  for statement in pg_statements_for(table, column, parent)]
    statements.append("""
CREATE OR REPLACE FUNCTION screening_client_revision_up() RETURNS trigger AS $$
BEGIN
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""")
    statements.append("CREATE TRIGGER screening_client_revision_up BEFORE UPDATE ON screening_client "
                      "FOR EACH ROW EXECUTE FUNCTION screening_client_revision_up()")
    statements.append("""
CREATE OR REPLACE FUNCTION screening_reliabilityestimate_revises_clinic() RETURNS trigger AS $$
BEGIN
    UPDATE clinicians_clinic SET revision = revision + 1 WHERE id = NEW.clinic_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""")
    statements.append("CREATE TRIGGER screening_reliabilityestimate_revises_clinic AFTER INSERT "
                      "ON screening_reliabilityestimate FOR EACH ROW "
                      "EXECUTE FUNCTION screening_reliabilityestimate_revises_clinic()")
    return statements


def pg_drops():
    drops = [drop for table in TRACKED for drop in pg_drops_for(table)]
    drops += ["DROP TRIGGER IF EXISTS screening_client_revision_up ON screening_client",
              "DROP FUNCTION IF EXISTS screening_client_revision_up()"]
    drops += ["DROP TRIGGER IF EXISTS screening_reliabilityestimate_revises_clinic ON screening_reliabilityestimate",
              "DROP FUNCTION IF EXISTS screening_reliabilityestimate_revises_clinic()"]
    return drops


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in pg_statements():
            schema_editor.execute(statement, params=None)
    elif vendor == "sqlite":
        for name, body in SQLITE:
            schema_editor.execute(f"CREATE TRIGGER {name} {body};", params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in pg_drops():
            schema_editor.execute(statement, params=None)
    elif vendor == "sqlite":
        for name, _body in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0014_bond_scores_store_item_values"),
        ("clinicians", "0014_clinic_revision"),
    ]
    operations = [
        migrations.AddField(
            model_name="client",
            name="revision",
            field=models.PositiveBigIntegerField(
                default=0, editable=False,
                help_text="Raised by database triggers whenever anything this client's reports show changes."),
        ),
        migrations.RunPython(forwards, backwards),
    ]
