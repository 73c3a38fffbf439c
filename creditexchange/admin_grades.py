"""Grades and the term's grade lock in the admin (issue 15). Read-only here: grades change through the grade
services (staff entry page, import), which keep the trail; the lock through its actions."""

from django.contrib import admin

from core.admin import AuditTrailInline, ReadOnlyAdminMixin

from .models import Grade, GradeEvent, TermGrades, TermGradesEvent


class GradeEventInline(AuditTrailInline):
    model = GradeEvent
    fields = ["created_at", "from_status", "to_status", "source", "actor", "reason"]


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["offering", "student", "value", "source", "entered_at", "entered_by"]
    list_filter = ["term", "value", "source", "offering__campus"]
    search_fields = ["student__username", "student__display_name", "offering__code", "offering__title_ko", "offering__title_en"]
    list_select_related = ["offering", "student", "entered_by"]
    inlines = [GradeEventInline]


@admin.register(GradeEvent)
class GradeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "grade", "from_status", "to_status", "source", "actor"]
    list_filter = ["source", "created_at"]
    search_fields = ["grade__student__username", "grade__offering__code", "reason"]
    list_select_related = ["grade__offering", "grade__student", "grade__registration__offering", "actor"]


class TermGradesEventInline(AuditTrailInline):
    model = TermGradesEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]


@admin.register(TermGrades)
class TermGradesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["term", "status", "finalized_at", "finalized_by"]
    list_filter = ["status"]
    search_fields = ["term__year"]
    inlines = [TermGradesEventInline]


@admin.register(TermGradesEvent)
class TermGradesEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "term_grades", "from_status", "to_status", "actor"]
    list_filter = ["to_status", "created_at"]
    search_fields = ["reason"]
