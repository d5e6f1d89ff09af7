from django import forms


class AmendReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the correction", max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. Kept with the screening's history and shown on its results and reports.",
    )
