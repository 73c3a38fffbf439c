"""Admin of students' academic records and semesters, and the CSV/XLSX upload page the imports share."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.errors import DomainError
from core.jobs.pages import job_url
from core.jobs.services import job_start

from . import services
from .forms import RecordsUploadForm
from .jobs import JobKind
from .models import (
    SemesterRecord,
)
from .services.records import AccountRefused, EmailConflicts, record_account_resolve, record_account_write


def import_page(modeladmin, request, *, form_class, kind: str, params, title: str, columns: list[str], help_text: str):
    """A CSV/XLSX upload page. The upload starts a dry run (a background job, staffdesk) whose page lists the row
    errors by row number, or previews every change with a "Confirm import" button; nothing is imported before
    that confirmation, and nothing when any row is wrong (issue 12, import previews)."""
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = job_start(
                kind=kind, params={**params(form.cleaned_data), "dry_run": True}, file=(upload.name, upload.read()),
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return HttpResponseRedirect(job_url(job.pk))
    context = {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form,
        "opts": modeladmin.model._meta, "columns": columns, "help_text": help_text,
    }
    return TemplateResponse(request, "admin/affiliation/import.html", context)


class SemesterRecordInline(admin.TabularInline):
    model = SemesterRecord
    extra = 1
    autocomplete_fields = ["term"]


class StudentRecordAdminForm(forms.ModelForm):
    """A new record gets the home-student account named by its student number, under the import's rules."""

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("student_number")
        if self.instance.pk is None and number and "user" not in self.fields:
            try:
                record_account_resolve(student_number=number)
            except AccountRefused as exc:
                self.add_error("student_number", exc.message)
        return cleaned


class StudentRecordAdmin(admin.ModelAdmin):
    """Only superusers link a record to an account, and then only to a home student's (issue 10, finding 1);
    for everyone else the account is read-only, and a record added here gets its own home account like an
    imported one."""

    form = StudentRecordAdminForm
    list_display = [
        "student_number", "name", "campus", "department", "earned_credits", "in_progress_credits", "gpa",
        "liberal_arts_met", "teacher_training", "merit_scholarship_excluded_term",
    ]
    list_filter = ["campus", "department", "liberal_arts_met", "teacher_training", "applied_before"]
    search_fields = ["student_number", "name", "user__username", "user__email"]
    list_select_related = ["campus", "department", "merit_scholarship_excluded_term"]
    autocomplete_fields = ["user", "campus", "department"]
    readonly_fields = ["merit_scholarship_excluded_term", "previous_department", "affiliation_changed_at", "updated_at",
                       "imported_at", "imported_email"]
    inlines = [SemesterRecordInline]
    change_list_template = "admin/affiliation/studentrecord/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        # The account is named by the student number, so neither changes here once the record exists.
        return [*fields, "user", "student_number"] if obj is not None else fields

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if request.user.is_superuser or obj is not None else [*exclude, "user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(kind=User.Kind.HOME, is_staff=False, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if obj.user_id is None:
            record_account_write(record=obj, email="", language=User.Language.KO)
        super().save_model(request, obj, form, change)

    def get_urls(self):
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="affiliation_studentrecord_import"),
            path("import/undo/<int:action_id>/", self.admin_site.admin_view(self.import_undo_view),
                 name="affiliation_studentrecord_import_undo"),
        ]
        return extra + super().get_urls()

    def import_undo_view(self, request, action_id: int):
        """Undo one records import with a reason (issue 12); restoring account addresses is a separate choice."""
        from .admin_conditions import records_import_undo_view

        if not self.has_add_permission(request):
            raise PermissionDenied
        return records_import_undo_view(self, request, action_id)

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return import_page(
            self, request, form_class=RecordsUploadForm, title=_("Import student academic records"),
            columns=services.RECORD_COLUMNS,
            help_text=_("semesters lists the regular semesters like “2023-1 enrolled; 2023-2 leave” (1 = spring, 2 = fall) "
                        "and replaces the stored history. Rows with an existing student number update that record."),
            kind=JobKind.RECORDS_IMPORT, params=lambda data: {"email_conflicts": data.get("email_conflicts") or EmailConflicts.KEEP},
        )


class SemesterRecordAdmin(admin.ModelAdmin):
    list_display = ["record", "term", "status"]
    list_filter = ["status", "term"]
    search_fields = ["record__student_number", "record__name"]
    list_select_related = ["record", "term"]
    autocomplete_fields = ["record", "term"]
