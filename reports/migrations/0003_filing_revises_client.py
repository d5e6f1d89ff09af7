"""A filed report or a filing job's row added, changed or removed raises the client's revision, as the
screening's own rows do (screening migration 0015, whose trigger builders this uses): the results page
keeps the filing state with its report parts (reports/results_page.py)."""

import importlib

from django.db import migrations

REVISION = importlib.import_module("screening.migrations.0015_client_revision")
TRACKED = {
    "reports_filedreport": ("screening_id", "screening_screening"),
    "reports_reportfiling": ("screening_id", "screening_screening"),
}


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, (column, parent) in TRACKED.items():
        if vendor == "postgresql":
            for statement in REVISION.pg_statements_for(table, column, parent):
                schema_editor.execute(statement, params=None)
        elif vendor == "sqlite":
            for name, body in REVISION.sqlite_triggers(table, column, parent):
                schema_editor.execute(f"CREATE TRIGGER {name} {body};", params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, (column, parent) in TRACKED.items():
        if vendor == "postgresql":
            for statement in REVISION.pg_drops_for(table):
                schema_editor.execute(statement, params=None)
        elif vendor == "sqlite":
            for name, _body in REVISION.sqlite_triggers(table, column, parent):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};", params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_report_filing"), ("screening", "0016_client_list_index")]
    operations = [migrations.RunPython(forwards, backwards)]
