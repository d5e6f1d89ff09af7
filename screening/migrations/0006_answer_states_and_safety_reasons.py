"""Answers say why there is no value: declined, not asked, or does not apply; safety questions keep a reason."""

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


def declined_becomes_a_state(apps, schema_editor):
    """tbsc-1's single "Declined / not asked" answer is kept as the state "declined"."""
    Answer = apps.get_model("screening", "Answer")
    Answer.objects.filter(declined=True).update(state="declined")


def state_becomes_declined(apps, schema_editor):
    Answer = apps.get_model("screening", "Answer")
    Answer.objects.exclude(state="answered").update(declined=True)


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0005_text_lengths_and_completion'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='answer',
            name='answer_value_or_declined',
        ),
        migrations.AddField(
            model_name='answer',
            name='reason',
            field=models.CharField(blank=True, help_text='Why a safety question was declined or not asked (required for those, from tbsc-2 on).', max_length=200),
        ),
        migrations.AddField(
            model_name='answer',
            name='state',
            field=models.CharField(choices=[('answered', 'Answered'), ('declined', 'Client declined'), ('not_asked', 'Not asked'), ('not_applicable', 'Does not apply')], default='answered', max_length=16),
        ),
        migrations.RunPython(declined_becomes_a_state, state_becomes_declined),
        migrations.RemoveField(
            model_name='answer',
            name='declined',
        ),
        migrations.AddConstraint(
            model_name='answer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'answered'), ('value__isnull', False)), models.Q(models.Q(('state', 'answered'), _negated=True), ('value__isnull', True)), _connector='OR'), name='answer_value_or_state'),
        ),
        migrations.AddConstraint(
            model_name='answer',
            constraint=models.CheckConstraint(condition=models.Q(('state__in', ['answered', 'declined', 'not_asked', 'not_applicable'])), name='answer_state_valid'),
        ),
        migrations.AddConstraint(
            model_name='answer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'not_applicable'), _negated=True), ('section__in', ['abuser', 'v2v']), _connector='OR'), name='answer_not_applicable_only_for_bond_items'),
        ),
        migrations.AddConstraint(
            model_name='answer',
            constraint=models.CheckConstraint(condition=models.Q(('reason', ''), ('state__in', ['declined', 'not_asked']), _connector='OR'), name='answer_reason_only_without_answer'),
        ),
        migrations.AddConstraint(
            model_name='answer',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('reason'), 200), name='answer_reason_length'),
        ),
    ]
