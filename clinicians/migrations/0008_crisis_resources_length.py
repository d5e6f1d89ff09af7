"""Crisis resources get a length limit (2000 characters): form, model and a database check.

A clinic whose text is longer keeps the whole lines that fit (each screening already completed keeps
its own full copy, so its reports are unchanged); the clinic admin sees the shorter text in settings.
"""

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


LIMIT = 2000


def shorten_overlong(apps, schema_editor):
    Clinic = apps.get_model("clinicians", "Clinic")
    for clinic in Clinic.objects.all().only("id", "crisis_resources").iterator():
        text = clinic.crisis_resources
        if len(text) <= LIMIT:
            continue
        kept = ""
        for line in text.splitlines():
            candidate = f"{kept}\n{line}" if kept else line
            if len(candidate) > LIMIT:
                break
            kept = candidate
        clinic.crisis_resources = kept or text[:LIMIT]
        clinic.save(update_fields=["crisis_resources"])


class Migration(migrations.Migration):

    dependencies = [
        ('clinicians', '0007_audit_schedule_action'),
    ]

    operations = [
        migrations.AlterField(
            model_name='clinic',
            name='crisis_resources',
            field=models.TextField(default='If there is immediate danger, call emergency services (911 in the US) or go to the nearest emergency room.\n988 Suicide & Crisis Lifeline: call or text 988 (US).\nNational Domestic Violence Hotline: 1-800-799-7233 (US).', help_text='Shown with every urgent safety flag, on screen and in reports. One resource per line.', max_length=2000),
        ),
        migrations.RunPython(shorten_overlong, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='clinic',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('crisis_resources'), 2000), name='clinic_crisis_resources_length'),
        ),
    ]
