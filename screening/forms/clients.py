import re

from django import forms
from django.core.exceptions import ValidationError

from screening.models import Client

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")


class ClientForm(forms.ModelForm):
    DUPLICATE = "This clinic already has a client with this code."

    class Meta:
        model = Client
        fields = ["code"]
        widgets = {"code": forms.TextInput(attrs={"autocomplete": "off", "autofocus": True})}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not CODE_PATTERN.match(code):
            raise ValidationError(
                "Use letters, digits and . _ - / only, with no spaces (for example C-2041). "
                "Do not use names."
            )
        if Client.objects.filter(clinic=self.clinic, code__iexact=code).exists():
            raise ValidationError(self.DUPLICATE)
        return code

    def save(self, commit=True):
        self.instance.clinic = self.clinic
        return super().save(commit)


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
