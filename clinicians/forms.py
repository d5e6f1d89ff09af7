from django import forms

from clinicians.models import Clinic


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = ["name", "crisis_resources"]
        widgets = {"crisis_resources": forms.Textarea(attrs={"rows": 6})}
        error_messages = {
            "crisis_resources": {"required": "Give at least one crisis resource; it is shown with every safety flag."},
        }
