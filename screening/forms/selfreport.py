"""The forms of self-report: the client's questions, and the clinician's password to take the tablet back."""

from django import forms

from screening.forms.steps import item_field_name
from screening.instrument import BOND_TYPES, DECLINED, NOT_APPLICABLE


class ClientItemsForm(forms.Form):
    """One section in the client's own words: the item's scale, then "I'd rather not answer" and, for
    bond items, "This does not apply to me". Every question may be skipped; the clinician sees what
    was skipped and asks it. The client is never asked for a reason."""

    def __init__(self, data=None, *, section, wording, intake=True, answers=None):
        initial = {}
        if answers is not None:
            initial = {item_field_name(item.key): str(answers[(section.key, item.key)])
                       for item in section.items if (section.key, item.key) in answers}
        super().__init__(data, initial=initial)
        self.section = section
        self.wording = wording
        self.valid_values = {}
        no_answer = [(DECLINED, wording.no_answer[DECLINED])]
        if section.key in BOND_TYPES:
            no_answer.append((NOT_APPLICABLE, wording.no_answer[NOT_APPLICABLE]))
        for item in section.items:
            scale = section.item_scale(item)
            self.valid_values[item.key] = {str(o.value): o.value for o in scale} | {s: s for s, _ in no_answer}
            self.fields[item_field_name(item.key)] = forms.ChoiceField(
                label=wording.item(item.key).text_for(intake),
                choices=[(str(o.value), o.label) for o in scale] + no_answer,
                required=False, widget=forms.RadioSelect,
                error_messages={"invalid_choice": "Please choose one of the answers shown."},
            )

    def answers(self):
        """{item_key: int | state} of the valid answers given (of a partly wrong post too)."""
        self.is_valid()
        result = {}
        for item in self.section.items:
            name = item_field_name(item.key)
            raw = self.cleaned_data.get(name) if name not in self.errors else None
            if raw not in (None, ""):
                result[item.key] = self.valid_values[item.key][raw]
        return result

    def rows(self):
        """(item, its wording, bound field) for the template."""
        return [(item, self.wording.item(item.key), self[item_field_name(item.key)]) for item in self.section.items]


class TabletReturnForm(forms.Form):
    password = forms.CharField(
        label="Clinician: your password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, data=None, *, user):
        super().__init__(data)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not the password of the clinician who handed over the tablet.")
        return password
