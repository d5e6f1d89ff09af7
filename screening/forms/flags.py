import uuid

from django import forms

from screening.models import FollowUp

RESOLUTION_REFUSED = (
    "This flag asks for action this session: it is resolved by a risk assessment, a safety plan, a referral "
    "or an emergency action. Record this follow-up without ticking “resolves”; the flag stays open."
)


class FollowUpForm(forms.Form):
    action = forms.ChoiceField(label="What was done", choices=FollowUp.Action.choices, widget=forms.RadioSelect)
    referral_to = forms.CharField(label="Referred to", max_length=200, required=False,
                                  help_text="Service or professional, for a referral. No client names.")
    note = forms.CharField(label="Note", max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="Required: what happened and what comes next.")
    resolves = forms.BooleanField(label="This resolves the flag", required=False,
                                  help_text="A resolved flag leaves the open list; its history stays.")
    submission = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, flag, **kwargs):
        super().__init__(*args, **kwargs)
        self.flag = flag
        if flag.acts_now:
            self.fields["resolves"].help_text = (
                "An “act this session” flag is resolved by a risk assessment, a safety plan, a referral or an "
                "emergency action. “Client declined” records the attempt; the flag stays open."
            )

    def clean(self):
        data = super().clean()
        if data.get("resolves") and self.flag.acts_now and data.get("action") not in FollowUp.RESOLVES_ACT_NOW:
            self.add_error("resolves", RESOLUTION_REFUSED)
        if data.get("action") == FollowUp.Action.REFERRAL and not data.get("referral_to", "").strip():
            self.add_error("referral_to", "Say to whom the referral was made.")
        return data
