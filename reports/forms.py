from django import forms
from django.core.exceptions import ValidationError

from audit import actions


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("The start date is after the end date.")
        return data


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(queryset=None, required=False, label="Clinician", empty_label="Anyone")
    client = forms.ModelChoiceField(queryset=None, required=False, label="Client", empty_label="Any client")
    action = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args, members, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = members
        self.fields["client"].queryset = clients
        self.fields["action"].choices = [("", "Any action"), *actions.choices()]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filter(self, events):
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["actor"]:
            events = events.filter(actor=data["actor"])
        if data["client"]:
            events = events.filter(client_id=data["client"].pk)
        if data["action"]:
            events = events.filter(action=data["action"])
        return events
