from django import forms
from django.core.exceptions import ValidationError

from screening.instrument import BOND_TYPES
from screening.models import Screening
from screening.scoring import DECLINED


class BondsForm(forms.ModelForm):
    class Meta:
        model = Screening
        fields = ["abuser_in_scope", "abuser_label", "v2v_in_scope", "v2v_label"]

    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for bond in instrument.bond_types:
            self.fields[f"{bond.key}_in_scope"].label = bond.question
            label = self.fields[f"{bond.key}_label"]
            label.label = "Short label for this bond (optional, no names)"
            label.help_text = bond.label_hint
            label.widget.attrs["autocomplete"] = "off"

    def clean(self):
        data = super().clean()
        if not any(data.get(f"{bond}_in_scope") for bond in BOND_TYPES):
            raise ValidationError("Choose at least one bond to screen.")
        for bond in BOND_TYPES:
            if not data.get(f"{bond}_in_scope"):
                data[f"{bond}_label"] = ""  # a label belongs to a bond in scope only
        return data

    def bond_rows(self):
        """(bond type, its in-scope checkbox, its label field) for the template, in instrument order."""
        return [(bond, self[f"{bond.key}_in_scope"], self[f"{bond.key}_label"]) for bond in self.instrument.bond_types]


def item_field_name(key):
    return f"item-{key}"


class ItemsForm(forms.Form):
    """One radio group per item: the scale's options plus "declined / not asked".

    Every field is optional so a partly answered step still saves as a draft; completeness is
    checked when the screening is completed.
    """

    def __init__(self, data=None, *, section, answers=None, **kwargs):
        """section: an instrument Section; answers: the screening's answer_map(), shown as initial values."""
        if answers is not None:
            kwargs["initial"] = {
                item_field_name(item.key): str(answers[(section.key, item.key)])
                for item in section.items if (section.key, item.key) in answers
            }
        super().__init__(data, **kwargs)
        self.section = section
        self.items = section.items
        choices = [(str(o.value), o.label) for o in section.scale] + [(DECLINED, "Declined / not asked")]
        self.valid_values = {str(o.value): o.value for o in section.scale}
        for item in self.items:
            self.fields[item_field_name(item.key)] = forms.ChoiceField(
                label=item.text, choices=choices, required=False, widget=forms.RadioSelect,
                error_messages={"invalid_choice": "“%(value)s” is not one of the answers for this question. Choose one of the options."},
            )

    def answers(self):
        """{item_key: int | DECLINED} of the answers given that passed validation.

        Called on an invalid form too, so the valid answers of a partly wrong post are kept.
        """
        result = {}
        for item in self.items:
            name = item_field_name(item.key)
            if name in self.errors:
                continue
            raw = self.cleaned_data.get(name)
            if raw == DECLINED:
                result[item.key] = DECLINED
            elif raw not in (None, ""):
                result[item.key] = self.valid_values[raw]
        return result

    def rows(self):
        """(item, bound field) pairs for the template."""
        return [(item, self[item_field_name(item.key)]) for item in self.items]


class NotesForm(forms.ModelForm):
    class Meta:
        model = Screening
        fields = ["notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"notes": "Appears in the intake note and the PDF. Avoid names and other identifying details."}
