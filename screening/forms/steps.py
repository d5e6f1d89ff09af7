from django import forms
from django.core.exceptions import ValidationError

from screening.instrument import BOND_TYPES, NO_ANSWER_LABELS
from screening.models import REASON_MAX_LENGTH, Screening
from screening.scoring import DECLINED


class BondsForm(forms.ModelForm):
    class Meta:
        model = Screening
        fields = ["abuser_in_scope", "abuser_label", "abuser_contact", "v2v_in_scope", "v2v_label", "v2v_contact"]

    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for bond in instrument.bond_types:
            self.fields[f"{bond.key}_in_scope"].label = bond.question
            label = self.fields[f"{bond.key}_label"]
            label.label = "Short label for this bond (optional, no names)"
            label.help_text = bond.label_hint
            label.widget.attrs["autocomplete"] = "off"
            contact = self.fields[f"{bond.key}_contact"]
            contact.label = "Contact with this person since the last screening (at intake: now)"
            contact.choices = [("", "Not recorded")] + list(contact.choices)[1:]
            contact.help_text = "With little or no contact, answers about this person may change whatever happened to the bond."

    def clean(self):
        data = super().clean()
        if not any(data.get(f"{bond}_in_scope") for bond in BOND_TYPES):
            raise ValidationError("Choose at least one bond to screen.")
        for bond in BOND_TYPES:
            if not data.get(f"{bond}_in_scope"):
                data[f"{bond}_label"] = ""  # a label and a contact belong to a bond in scope only
                data[f"{bond}_contact"] = ""
        return data

    def bond_rows(self):
        """(bond type, its in-scope checkbox, its label field, its contact field), in instrument order."""
        return [(bond, self[f"{bond.key}_in_scope"], self[f"{bond.key}_label"], self[f"{bond.key}_contact"])
                for bond in self.instrument.bond_types]


def item_field_name(key):
    return f"item-{key}"


def reason_field_name(key):
    return f"reason-{key}"


class ItemsForm(forms.Form):
    """One radio group per item: the item's scale, then what a question without an answer may say
    (the instrument's: tbsc-1 "Declined / not asked"; from tbsc-2 "Client declined", "Not asked" and,
    for bond items, "Does not apply"). From tbsc-2 a safety question declined or not asked takes a
    short reason.

    Every field is optional so a partly answered step still saves as a draft; completeness is
    checked when the screening is completed.
    """

    def __init__(self, data=None, *, section, instrument, intake=True, answers=None, reasons=None,
                 client_answers=None, **kwargs):
        """section: an instrument Section; answers: the screening's answer_map() and reasons its
        answer_reasons(), shown as initial values; client_answers: {item_key: Answer} of the answers
        that came from the client in self-report, shown beside each question."""
        if answers is not None:
            kwargs["initial"] = {
                item_field_name(item.key): str(answers[(section.key, item.key)])
                for item in section.items if (section.key, item.key) in answers
            }
            kwargs["initial"].update({
                reason_field_name(key): text for (part, key), text in (reasons or {}).items() if part == section.key
            })
        super().__init__(data, **kwargs)
        self.section = section
        self.instrument = instrument
        self.items = section.items
        self.client_answers = client_answers or {}
        no_answer = instrument.no_answer_options(section.key)
        self.valid_values = {}
        for item in self.items:
            scale = section.item_scale(item)
            self.valid_values[item.key] = {str(o.value): o.value for o in scale} | {state: state for state, _ in no_answer}
            self.fields[item_field_name(item.key)] = forms.ChoiceField(
                label=item.text_for(intake), choices=[(str(o.value), o.label) for o in scale] + list(no_answer),
                required=False, widget=forms.RadioSelect,
                error_messages={"invalid_choice": "“%(value)s” is not one of the answers for this question. Choose one of the options."},
            )
            if instrument.needs_reason(section.key, DECLINED):
                self.fields[reason_field_name(item.key)] = forms.CharField(
                    label="Why was this not answered?", max_length=REASON_MAX_LENGTH, required=False,
                    help_text="Needed for “Client declined” or “Not asked”, e.g. “client not alone”, “ran out of time”.",
                )

    def clean(self):
        data = super().clean()
        for item in self.items:
            state = data.get(item_field_name(item.key))
            reason = (data.get(reason_field_name(item.key)) or "").strip()
            if self.instrument.needs_reason(self.section.key, state) and not reason:
                self.add_error(reason_field_name(item.key), "Say briefly why this safety question was not answered.")
        return data

    def answers(self):
        """{item_key: int | state} of the answers given that passed validation.

        Called on an invalid form too, so the valid answers of a partly wrong post are kept; a
        declined or unasked safety question whose reason is missing is not saved until it has one.
        """
        result = {}
        for item in self.items:
            name = item_field_name(item.key)
            if name in self.errors or reason_field_name(item.key) in self.errors:
                continue
            raw = self.cleaned_data.get(name)
            if raw not in (None, ""):
                result[item.key] = self.valid_values[item.key][raw]
        return result

    def reasons(self):
        """{item_key: reason} for the questions that need one and have it."""
        return {
            item.key: self.cleaned_data[reason_field_name(item.key)].strip()
            for item in self.items
            if reason_field_name(item.key) in self.fields and reason_field_name(item.key) not in self.errors
            and self.cleaned_data.get(reason_field_name(item.key), "").strip()
        }

    def rows(self):
        """(item, bound field, bound reason field or None, note on the client's answer) for the template."""
        return [
            (item, self[item_field_name(item.key)],
             self[reason_field_name(item.key)] if reason_field_name(item.key) in self.fields else None,
             self.client_note(item))
            for item in self.items
        ]

    def client_note(self, item):
        """"" for a question the client did not answer in self-report; otherwise whose answer shows."""
        answer = self.client_answers.get(item.key)
        if answer is None:
            return ""
        if answer.changed_from_client:
            labels = {o.value: o.label for o in self.section.item_scale(item)} | NO_ANSWER_LABELS
            return f"Changed from the client’s own answer: “{labels.get(answer.client_plain, answer.client_answer)}”"
        return "The client’s own answer"


class NotesForm(forms.ModelForm):
    class Meta:
        model = Screening
        fields = ["notes", "resources_given"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 5})}
        labels = {"resources_given": "I gave the clinic's crisis resources to the client"}
        help_texts = {"notes": "Appears in the intake note and the PDF. Avoid names and other identifying details."}
