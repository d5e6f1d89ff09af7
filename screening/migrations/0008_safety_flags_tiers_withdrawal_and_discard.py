"""Safety flags get a tier and a kind, can be withdrawn as entered in error, and outlive a discarded draft."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# tbsc-1's items whose flags are followed up at the next session rather than acted on in this one
# (screening.instrument.SCHEMA_1_FOLLOW_UP, written out: a migration keeps its own copy).
FOLLOW_UP_ITEMS = ["safety-substance-use", "safety-severe-symptoms"]


def tiers_of_earlier_flags(apps, schema_editor):
    SafetyFlag = apps.get_model("screening", "SafetyFlag")
    SafetyFlag.objects.filter(item_key__in=FOLLOW_UP_ITEMS).update(tier="follow_up")


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0007_new_screenings_use_tbsc_2'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='safetyflag',
            name='one_flag_per_item_and_screening',
        ),
        migrations.AddField(
            model_name='safetyflag',
            name='detail',
            field=models.CharField(blank=True, help_text="For 'not fully assessed': which questions, and why.", max_length=1000),
        ),
        migrations.AddField(
            model_name='safetyflag',
            name='draft_discarded_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='safetyflag',
            name='kind',
            field=models.CharField(choices=[('disclosure', 'Disclosure'), ('not_assessed', 'Safety not fully assessed')], default='disclosure', max_length=16),
        ),
        migrations.AddField(
            model_name='safetyflag',
            name='raised_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='safetyflag',
            name='tier',
            field=models.CharField(choices=[('act_now', 'Act this session'), ('follow_up', 'Follow up')], default='act_now', max_length=12),
        ),
        migrations.RunPython(tiers_of_earlier_flags, migrations.RunPython.noop),
        migrations.AddField(
            model_name='safetyflag',
            name='withdrawn_at',
            field=models.DateTimeField(blank=True, help_text='Entered in error: the answer changed before completion.', null=True),
        ),
        migrations.AddField(
            model_name='safetyflag',
            name='withdrawn_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='safetyflag',
            name='withdrawn_reason',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name='followup',
            name='action',
            field=models.CharField(choices=[('risk_assessment', 'Risk assessment completed'), ('safety_plan', 'Safety plan made or updated'), ('resources', 'Crisis resources given (988; National Domestic Violence Hotline 1-800-799-7233)'), ('referral', 'Referral made'), ('emergency', 'Emergency services contacted'), ('declined', 'Client declined'), ('other', 'Other')], max_length=20),
        ),
        migrations.AlterField(
            model_name='safetyflag',
            name='screening',
            field=models.ForeignKey(blank=True, help_text='Empty when the draft it was raised in was discarded (the flag is kept).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='safety_flags', to='screening.screening'),
        ),
        migrations.AddConstraint(
            model_name='safetyflag',
            constraint=models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('screening', 'item_key'), name='one_live_flag_per_item_and_screening'),
        ),
        migrations.AddConstraint(
            model_name='safetyflag',
            constraint=models.CheckConstraint(condition=models.Q(('tier__in', ['act_now', 'follow_up'])), name='flag_tier_valid'),
        ),
        migrations.AddConstraint(
            model_name='safetyflag',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['disclosure', 'not_assessed'])), name='flag_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='safetyflag',
            constraint=models.CheckConstraint(condition=models.Q(('withdrawn_at__isnull', True), ('resolved_at__isnull', True), _connector='OR'), name='flag_withdrawn_or_resolved'),
        ),
        migrations.AddConstraint(
            model_name='safetyflag',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('withdrawn_at__isnull', True), ('withdrawn_by__isnull', True)), models.Q(('withdrawn_at__isnull', False), ('withdrawn_by__isnull', False)), _connector='OR'), name='flag_withdrawal_names_who'),
        ),
    ]
