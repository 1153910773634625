from __future__ import annotations

from django import forms

from sessions.messages import ProtocolError, normalize_url


class StartSessionForm(forms.Form):
    start_url = forms.CharField(required=False, max_length=2048, label="Start URL")

    def clean_start_url(self) -> str:
        value = self.cleaned_data["start_url"].strip()
        if not value:
            return ""
        try:
            return normalize_url(value)
        except ProtocolError as exc:
            raise forms.ValidationError(exc.message) from None
