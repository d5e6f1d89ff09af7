from django import forms
from django.contrib.auth import password_validation

from clinicians.models import CRISIS_RESOURCES_MAX_LENGTH, Clinic, User


class MultilineField(forms.CharField):
    """Text from a textarea with its line breaks as "\\n": browsers send "\\r\\n", which would count
    twice against a length limit the browser itself counted once."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = ["name", "crisis_resources", "rescreen_interval_days", "self_report_link_hours", "export_retention_days", "all_clients_open", "two_factor", "pool_reliability_estimates"]
        widgets = {"crisis_resources": forms.Textarea(attrs={"rows": 6})}
        field_classes = {"crisis_resources": MultilineField}
        error_messages = {
            "crisis_resources": {
                "required": "Give at least one crisis resource; it is shown with every safety flag.",
                "max_length": f"Crisis resources can be at most {CRISIS_RESOURCES_MAX_LENGTH} characters "
                              "(this text has %(show_value)d). Keep each resource to a line: its name and how to reach it.",
            },
        }


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(choices=User.Role.choices, initial=User.Role.CLINICIAN)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("There is already an account with this email address.")
        return email


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=120, help_text="Shown to colleagues and on reports.")
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class AssignmentForm(forms.Form):
    clinicians = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Clinicians who see this client",
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinicians"].queryset = User.objects.filter(clinic=clinic, is_active=True)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code", max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "").strip()
