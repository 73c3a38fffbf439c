"""Transcripts of records to partners in the admin (issue 15): read-only, as sent."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import Transcript, TranscriptBatch, TranscriptBatchFile


class TranscriptBatchFileInline(admin.TabularInline):
    model = TranscriptBatchFile
    fields = ["filename", "content_type", "size", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TranscriptBatch)
class TranscriptBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["issued_at", "term", "partner", "version", "language", "trigger", "issued_by"]
    list_filter = ["term", "partner", "trigger"]
    search_fields = ["partner__code", "partner__name_ko", "partner__name_en"]
    list_select_related = ["term", "partner", "issued_by"]
    inlines = [TranscriptBatchFileInline]


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
