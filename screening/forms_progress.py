from django import forms
from django.core.exceptions import ValidationError

from screening.models import Client


class ScheduleForm(forms.ModelForm):
    discharged = forms.BooleanField(label="Discharged: no longer due for re-screening", required=False)

    class Meta:
        model = Client
        fields = ["rescreen_interval_days"]
        widgets = {"rescreen_interval_days": forms.NumberInput(attrs={"min": 7, "max": 730})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discharged"].initial = self.instance.discharged_on is not None
        self.fields["rescreen_interval_days"].help_text = (
            f"Leave empty to use the clinic's interval ({self.instance.clinic.rescreen_interval_days} days)."
        )


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("The start date is after the end date.")
        return data


class AmendReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the correction", max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. Kept with the screening's history and shown on its results and reports.",
    )
