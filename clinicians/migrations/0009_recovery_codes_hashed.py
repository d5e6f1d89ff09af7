"""Recovery codes stored only as keyed hashes, in a device of our own (RecoveryCodeDevice).

django-otp's static tokens kept the codes in plain text; each one still unused is hashed into the
new table and the plain ones are deleted, so codes people already hold keep working.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac

SALT = "bondscreen.recovery-code"  # as clinicians.models.RECOVERY_CODE_SALT


def hash_static_tokens(apps, schema_editor):
    StaticDevice = apps.get_model("otp_static", "StaticDevice")
    RecoveryCodeDevice = apps.get_model("clinicians", "RecoveryCodeDevice")
    RecoveryCode = apps.get_model("clinicians", "RecoveryCode")
    for old in StaticDevice.objects.all():
        new = RecoveryCodeDevice.objects.create(user_id=old.user_id, name=old.name, confirmed=old.confirmed)
        RecoveryCode.objects.bulk_create([
            RecoveryCode(device=new, code_hash=salted_hmac(
                SALT, token.strip().lower(), secret=settings.SECRET_KEY, algorithm="sha256").hexdigest())
            for token in old.token_set.values_list("token", flat=True)
        ])
        old.delete()  # and its plain tokens


class Migration(migrations.Migration):

    dependencies = [
        ('clinicians', '0008_crisis_resources_length'),
        ('otp_static', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecoveryCodeDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code_hash', models.CharField(db_index=True, editable=False, max_length=64)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='codes', to='clinicians.recoverycodedevice')),
            ],
        ),
        migrations.RunPython(hash_static_tokens, migrations.RunPython.noop),
    ]
