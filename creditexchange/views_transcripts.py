"""The public transcript verification page (issue 15): that a transcript exists, for whom and when; no grades."""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core import dates
from core.errors import DomainError
from core.http import client_ip

from .services.transcripts import group_code, transcript_code_normalise, transcript_verify


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"), max_length=40, help_text=_("The 16 characters printed on the transcript, e.g. ABCD-EFGH-JKMN-PQRS."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


@require_http_methods(["GET", "POST"])
def verify(request):
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = transcript_code_normalise(form.cleaned_data["code"])
        return redirect("transcripts:verify_code", code=group_code(code) if code else "-")
    return render(request, "creditexchange/transcript_verify.html", {"form": form})


@never_cache  # a name is shown: no shared cache keeps the answer
@require_http_methods(["GET"])
def verify_code(request, code: str):
    form, result, error = VerifyForm(initial={"code": code if code != "-" else ""}), None, ""
    try:
        result = transcript_verify(code=code, client_key=client_ip(request))
    except DomainError as exc:
        error = exc.message
    response = render(request, "creditexchange/transcript_verify.html", {
        "form": form, "result": result, "error": error, "checked": True,
        "shown": _shown(result.transcript, get_language()) if result and result.transcript else None,
    })
    response["X-Robots-Tag"] = "noindex"  # a code in a shared link must not put a name into a search engine
    return response


def _shown(transcript, language: str) -> dict:
    """Only what the issue allows: for whom (the name as printed) and when; never a course or a grade."""
    snapshot, batch = transcript.rows, transcript.batch
    language = "ko" if (language or "").startswith("ko") else "en"
    return {
        "name": " / ".join(part for part in (snapshot["student"]["name_ko"], snapshot["student"]["name_latin"]) if part),
        "university": snapshot["partner"].get(language) or batch.partner.name,
        "term": snapshot["term"].get(language) or str(batch.term),
        "issued_on": dates.seoul_day(transcript.issued_at),
        "version": batch.version,
        "code": transcript.code_display,
    }
