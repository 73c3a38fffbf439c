"""Transcripts of records to partners in the admin (issue 15): read-only as sent; issue now; a corrected version;
the PDFs and files for staff with the view permission only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from academics.models import Term
from core.admin import ReadOnlyAdminMixin
from core.bulk import StalePreview
from core.errors import DomainError

from .models import TermGrades, Transcript, TranscriptBatch, TranscriptBatchFile
from .services.transcripts import (
    transcript_applications,
    transcript_filename,
    transcripts_issue,
    transcripts_issue_confirmed,
    transcripts_issue_preview,
)


class IssueForm(forms.Form):
    term = forms.ModelChoiceField(
        label=_("Term"), queryset=Term.objects.filter(grades_state__status=TermGrades.Status.FINAL),
        help_text=_("Only terms whose grades are final."),
    )


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class TranscriptBatchFileInline(admin.TabularInline):
    model = TranscriptBatchFile
    fields = ["filename", "content_type", "size", "sha256", "download"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("download"))
    def download(self, obj: TranscriptBatchFile) -> str:
        url = reverse("admin:creditexchange_transcriptbatch_file", args=[obj.batch_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


class TranscriptInline(admin.TabularInline):
    model = Transcript
    fields = ["student", "code", "size", "download"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("PDF"))
    def download(self, obj: Transcript) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:creditexchange_transcript_pdf", args=[obj.pk]), _("Download"))


@admin.register(TranscriptBatch)
class TranscriptBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["issued_at", "term", "partner", "version", "language", "trigger", "issued_by"]
    list_filter = ["term", "partner", "trigger"]
    search_fields = ["partner__code", "partner__name_ko", "partner__name_en"]
    list_select_related = ["term", "partner", "issued_by"]
    inlines = [TranscriptBatchFileInline, TranscriptInline]
    change_list_template = "admin/creditexchange/transcriptbatch/change_list.html"
    change_form_template = "admin/creditexchange/transcriptbatch/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("issue/", wrap(self.issue_view), name="creditexchange_transcriptbatch_issue"),
            path("<int:batch_id>/correct/", wrap(self.correct_view), name="creditexchange_transcriptbatch_correct"),
            path("<int:batch_id>/files/<int:file_id>/", wrap(self.file_view), name="creditexchange_transcriptbatch_file"),
            *super().get_urls(),
        ]

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.issue_transcripts")

    def issue_view(self, request):
        """Choose a term → the partners and their student counts → confirm with the preview's fingerprint."""
        if not self.has_issue_permission(request):
            raise PermissionDenied
        form = IssueForm(request.POST or request.GET or None)
        preview, stale = None, ""
        if form.is_bound and form.is_valid():
            term = form.cleaned_data["term"]
            try:
                if request.method == "POST" and "confirm" in request.POST:
                    report = transcripts_issue_confirmed(term=term, expected=request.POST.get("fingerprint", ""), actor=request.user)
                    for batch in report.issued:
                        self.message_user(request, _("Transcripts for %(partner)s issued and mailed (%(students)s students).") % {
                            "partner": batch.partner.name, "students": batch.transcripts.count()}, messages.SUCCESS)
                    for refusal in report.refused:
                        self.message_user(request, refusal, messages.ERROR)
                    return HttpResponseRedirect(reverse("admin:creditexchange_transcriptbatch_changelist"))
                preview = transcripts_issue_preview(term=term)
            except StalePreview as exc:
                stale = exc.message
                preview = transcripts_issue_preview(term=term)
            except DomainError as exc:
                form.add_error(None, exc.message)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "preview": preview,
            "stale": stale, "title": _("Issue transcripts now"),
        }
        return TemplateResponse(request, "admin/creditexchange/transcriptbatch/issue.html", context)

    def correct_view(self, request, batch_id: int):
        if not self.has_issue_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(TranscriptBatch.objects.select_related("partner", "term"), pk=batch_id)
        form = CorrectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                corrected = transcripts_issue(
                    term=batch.term, partner=batch.partner, actor=request.user, reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("Corrected version %(version)s for %(partner)s issued and mailed.") % {
                    "version": corrected.version, "partner": corrected.partner.name}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:creditexchange_transcriptbatch_change", args=[corrected.pk]))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "batch": batch,
            "students": transcript_applications(partner=batch.partner, term=batch.term).count(),
            "title": _("Issue a corrected version"),
        }
        return TemplateResponse(request, "admin/creditexchange/transcriptbatch/correct.html", context)

    def file_view(self, request, batch_id: int, file_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        stored = get_object_or_404(TranscriptBatchFile, pk=file_id, batch_id=batch_id)
        return _attachment(bytes(stored.content), stored.filename, stored.content_type)


@admin.register(TranscriptBatchFile)
class TranscriptBatchFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "batch", "size"]
    search_fields = ["filename", "batch__partner__code"]
    list_select_related = ["batch__partner", "batch__term"]
    exclude = ["content"]


@admin.register(Transcript)
class TranscriptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["issued_at", "batch", "student", "code"]
    list_filter = ["batch__term", "batch__partner"]
    search_fields = ["code", "student__username", "student__display_name", "application__home_student_number", "application__name_latin"]
    list_select_related = ["batch__partner", "batch__term", "student"]
    exclude = ["pdf"]

    def get_urls(self):
        return [
            path("<int:transcript_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="creditexchange_transcript_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, transcript_id: int):
        """The stored PDF, only to staff who may view transcripts (the registrar's office)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        transcript = get_object_or_404(Transcript.objects.select_related("batch__partner", "batch__term"), pk=transcript_id)
        return _attachment(bytes(transcript.pdf), transcript_filename(transcript), "application/pdf")
