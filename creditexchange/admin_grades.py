"""Grades and the term's grade lock in the admin (issue 15). The model pages are read-only: grades change only on
the staff pages hung on the grade admin's URLs (the grade sheet of an offering, the file import with its preview and
undo, the term's page that makes grades final or reopens them), each calling ``services.grades``, which keeps the trail.
Sheet and import need add_grade and change_grade; the lock needs finalize_grades."""

import base64
import binascii

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from academics.models import Term
from core.admin import AuditTrailInline, ReadOnlyAdminMixin
from core.admin_undo import undo_page
from core.bulk import undo_page_register
from core.errors import DomainError

from .models import CourseOffering, Grade, GradeEvent, GradeValue, TermGrades, TermGradesEvent
from .selectors_grade_sheet import grade_sheet, grades_progress, term_grades_final
from .services import grades as grade_services

# The confirmation posts the previewed file back (base64, 4/3 of its size) as a form field, which Django caps at
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default); 1.5 MB of CSV is tens of thousands of grades.
MAX_UPLOAD = 1536 * 1024


def can_enter_grades(user) -> bool:
    return user.has_perm("creditexchange.add_grade") and user.has_perm("creditexchange.change_grade")


def can_finalize_grades(user) -> bool:
    return user.has_perm("creditexchange.finalize_grades")


class GradeImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(gettext_lazy("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(gettext_lazy("A grades file may be at most 1.5 MB."))
        return upload


class GradeImportConfirmForm(forms.Form):
    """The previewed file travels back in the page; the fingerprint covers its SHA-256, so an edited copy is stale."""

    content = forms.CharField(widget=forms.HiddenInput, max_length=MAX_UPLOAD * 2)
    filename = forms.CharField(widget=forms.HiddenInput, max_length=255)  # as long as an uploaded file's name
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_content(self):
        try:
            return base64.b64decode(self.cleaned_data["content"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise forms.ValidationError(gettext_lazy("The preview is damaged; upload the file again.")) from exc

    def clean_filename(self):
        name = self.cleaned_data["filename"]
        if not name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(gettext_lazy("Upload a .csv or .xlsx file."))
        return name


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (kept in the record)"), widget=forms.Textarea(attrs={"rows": 3}))


class GradePagesMixin:
    """The staff pages hung on the grade admin's URLs (``admin:creditexchange_grade_…``)."""

    def get_urls(self):
        site = self.admin_site
        return [
            path("sheet/<int:offering_id>/", site.admin_view(self.sheet_view), name="creditexchange_grade_sheet"),
            path("import/", site.admin_view(self.import_view), name="creditexchange_grade_import"),
            path("import/undo/<int:action_id>/", site.admin_view(self.import_undo_view), name="creditexchange_grade_import_undo"),
            path("terms/", site.admin_view(self.terms_view), name="creditexchange_grade_terms"),
            path("terms/<int:term_id>/", site.admin_view(self.term_view), name="creditexchange_grade_term"),
            path("terms/<int:term_id>/final/", site.admin_view(self.finalize_view), name="creditexchange_grade_finalize"),
            path("terms/<int:term_id>/reopen/", site.admin_view(self.reopen_view), name="creditexchange_grade_reopen"),
        ] + super().get_urls()

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def sheet_view(self, request, offering_id: int):
        """Every registered student with a select of the grade; read-only once the term is final or before the change
        window closed. Each changed row is one ``grade_set`` (its rules and messages); the others stay."""
        if not can_enter_grades(request.user):
            raise PermissionDenied
        offering = get_object_or_404(CourseOffering.objects.select_related("term"), pk=offering_id)
        final = term_grades_final(term=offering.term)
        try:
            grade_services.grades_window_check(term=offering.term)
            closed_note = ""
        except DomainError as exc:
            closed_note = exc.message
        rows = grade_sheet(offering=offering)
        errors: dict[int, str] = {}
        if request.method == "POST" and (final or closed_note):  # a tab opened before the term was made final
            self.message_user(request, _("Nothing was saved: this sheet is read-only now (see the note on the page)."),
                              messages.ERROR)
            return HttpResponseRedirect(request.path)
        if request.method == "POST":
            reason, saved = request.POST.get("reason", "")[:500], 0
            for row in rows:
                value = request.POST.get(f"grade-{row.registration.pk}", "")
                shown = request.POST.get(f"was-{row.registration.pk}")  # what the page showed: only touched rows save
                if not value or value == (shown if shown is not None else (row.grade.value if row.grade else "")):
                    continue
                try:
                    grade_services.grade_set(actor=request.user, registration_id=row.registration.pk, value=value,
                                             reason=reason, expected=shown)
                    saved += 1
                except DomainError as exc:
                    errors[row.registration.pk] = exc.message
            if not errors:
                self.message_user(request, ngettext("%(count)s grade saved.", "%(count)s grades saved.", saved) % {"count": saved},
                                  messages.SUCCESS)
                return HttpResponseRedirect(request.path)
            rows = grade_sheet(offering=offering)
        context = self._context(
            request, title=_("Grade sheet: %(offering)s") % {"offering": f"{offering.code}-{offering.section} {offering.title_ko}"},
            offering=offering, rows=[(row, errors.get(row.registration.pk, "")) for row in rows],
            values=GradeValue.choices, final=final, closed_note=closed_note, editable=not final and not closed_note,
        )
        return TemplateResponse(request, "admin/creditexchange/grade/sheet.html", context)

    def import_view(self, request):
        """Upload → preview of every change (before → after) or the row errors → confirm (refused when stale)."""
        if not can_enter_grades(request.user):
            raise PermissionDenied
        form, confirm, report = GradeImportForm(), None, None
        if request.method == "POST" and "confirm" in request.POST:
            confirm = GradeImportConfirmForm(request.POST)
            if confirm.is_valid():
                data = confirm.cleaned_data
                try:
                    done = grade_services.grades_import(
                        content=data["content"], filename=data["filename"], actor=request.user, dry_run=False,
                        expected_fingerprint=data["fingerprint"],
                    )
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                    report = self._preview(data["content"], data["filename"], request)
                else:
                    if done.ok:
                        self.message_user(request, _("Grades imported: %(created)s entered, %(updated)s changed.")
                                          % {"created": done.created, "updated": done.updated}, messages.SUCCESS)
                        return HttpResponseRedirect(reverse("admin:creditexchange_grade_changelist"))
                    report = done
            else:  # a damaged or edited confirmation: say why (nothing was imported) rather than show the form mutely
                for errors in confirm.errors.values():
                    for error in errors:
                        self.message_user(request, error, messages.ERROR)
        elif request.method == "POST":
            form = GradeImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                report = self._preview(upload.read(), upload.name, request, form=form)
        context = self._context(request, title=_("Import grades"), form=form, report=report,
                                columns=grade_services.COLUMNS, values=GradeValue.values)
        return TemplateResponse(request, "admin/creditexchange/grade/import.html", context)

    def _preview(self, content: bytes, filename: str, request, form=None):
        try:
            report = grade_services.grades_import(content=content, filename=filename, actor=request.user, dry_run=True)
        except DomainError as exc:
            if form is not None:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, exc.message, messages.ERROR)
            return None
        report.confirm = GradeImportConfirmForm(initial={
            "content": base64.b64encode(content).decode(), "filename": filename, "fingerprint": report.fingerprint,
        })
        return report

    def import_undo_view(self, request, action_id: int):
        if not can_enter_grades(request.user):
            raise PermissionDenied
        from core.models import BulkAction

        return undo_page(
            self, request, action_id=action_id, kind=grade_services.IMPORT_KIND, form_class=ReasonForm,
            undo=lambda action, data: grade_services.grades_import_undo(action=action, actor=request.user, reason=data["reason"]),
            preview=lambda action: {"changes": action.changes, "undone": BulkAction.objects.filter(undoes=action).first()},
            template="admin/creditexchange/grade/import_undo.html", title=_("Undo a grades import"),
            done_message=_("The import is undone."), done_url=reverse("admin:creditexchange_grade_changelist"),
        )

    def terms_view(self, request):
        if not (can_enter_grades(request.user) or can_finalize_grades(request.user)):
            raise PermissionDenied
        states = dict(TermGrades.objects.values_list("term_id", "status"))
        terms = [(term, states.get(term.pk) == TermGrades.Status.FINAL) for term in Term.objects.all()]
        return TemplateResponse(request, "admin/creditexchange/grade/terms.html",
                                self._context(request, title=_("Grades by term"), terms=terms))

    def term_view(self, request, term_id: int, form=None, status=200):
        """The term's progress per offering (links to the sheets) and the lock: make final (listing what is missing)
        or reopen with a reason."""
        if not (can_enter_grades(request.user) or can_finalize_grades(request.user)):
            raise PermissionDenied
        term = get_object_or_404(Term, pk=term_id)
        progress = grades_progress(term=term)
        lock = TermGrades.objects.filter(term=term).select_related("finalized_by").first()
        context = self._context(
            request, title=_("Grades of %(term)s") % {"term": term}, term=term, progress=progress, lock=lock,
            final=bool(lock and lock.is_final), missing=sum(row.missing for row in progress),
            registered=sum(row.registered for row in progress), graded=sum(row.graded for row in progress),
            can_finalize=can_finalize_grades(request.user), can_enter=can_enter_grades(request.user),
            reopen_form=form or ReasonForm(),
            history=TermGradesEvent.objects.filter(term_grades=lock).select_related("actor") if lock else [],
        )
        return TemplateResponse(request, "admin/creditexchange/grade/term.html", context, status=status)

    def finalize_view(self, request, term_id: int):
        if not can_finalize_grades(request.user):
            raise PermissionDenied
        term = get_object_or_404(Term, pk=term_id)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:creditexchange_grade_term", args=[term.pk]))
        try:
            grade_services.grades_finalize(term=term, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("The grades of %(term)s are final.") % {"term": term}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:creditexchange_grade_term", args=[term.pk]))

    def reopen_view(self, request, term_id: int):
        if not can_finalize_grades(request.user):
            raise PermissionDenied
        term = get_object_or_404(Term, pk=term_id)
        form = ReasonForm(request.POST or None)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:creditexchange_grade_term", args=[term.pk]))
        if form.is_valid():
            try:
                grade_services.grades_reopen(term=term, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("The grades of %(term)s are open for changes again.") % {"term": term},
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:creditexchange_grade_term", args=[term.pk]))
        return self.term_view(request, term.pk, form=form)


def grade_sheet_link(offering) -> str:
    """The offering's grade sheet, for the offering list (``admin_courses``)."""
    return format_html('<a href="{}">{}</a>', reverse("admin:creditexchange_grade_sheet", args=[offering.pk]), _("Grades"))




class GradeEventInline(AuditTrailInline):
    model = GradeEvent
    fields = ["created_at", "from_status", "to_status", "source", "actor", "reason"]


@admin.register(Grade)
class GradeAdmin(GradePagesMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["offering", "student", "value", "source", "entered_at", "entered_by"]
    list_filter = ["term", "value", "source", "offering__campus"]
    search_fields = ["student__username", "student__display_name", "offering__code", "offering__title_ko", "offering__title_en"]
    list_select_related = ["offering", "student", "entered_by"]
    inlines = [GradeEventInline]
    change_list_template = "admin/creditexchange/grade/change_list.html"


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
    list_display = ["term", "status", "finalized_at", "finalized_by", "term_page"]
    actions = ["make_final", "reopen"]

    def has_finalize_permission(self, request) -> bool:
        return can_finalize_grades(request.user)

    def _one_term_page(self, request, queryset):
        """Both actions lead to the term's page: its progress per offering is the confirmation (and the reason form)."""
        if queryset.count() != 1:
            self.message_user(request, _("Select one term."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:creditexchange_grade_term", args=[queryset.get().term_id]))

    @admin.action(description=gettext_lazy("Make grades final…"), permissions=["finalize"])
    def make_final(self, request, queryset):
        return self._one_term_page(request, queryset)

    @admin.action(description=gettext_lazy("Reopen with a reason…"), permissions=["finalize"])
    def reopen(self, request, queryset):
        return self._one_term_page(request, queryset)

    @admin.display(description=gettext_lazy("Progress, make final, reopen"))
    def term_page(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:creditexchange_grade_term", args=[obj.term_id]), _("Open"))
    list_filter = ["status"]
    search_fields = ["term__year"]
    inlines = [TermGradesEventInline]


@admin.register(TermGradesEvent)
class TermGradesEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "term_grades", "from_status", "to_status", "actor"]
    list_filter = ["to_status", "created_at"]
    search_fields = ["reason"]


undo_page_register(grade_services.IMPORT_KIND, "admin:creditexchange_grade_import_undo")
