from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError
from core.jobs.services import job_start
from core.text import clean_typed

from . import services
from .admin_offering_change import OfferingChangeConfirmMixin, TimeSlotFormSet
from .forms import OfferingImportForm, StaffRegistrationForm
from .jobs import JobKind
from .models import (
    ApplicationConflict,
    ApplicationEvent,
    CourseOffering,
    CourseRegistration,
    Recommendation,
    RegistrationEvent,
    TemporaryIdApplication,
    TimeSlot,
)
from .selectors_lists import registrations_with_credit_mark


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "changes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason (sent to the applicant)"), widget=forms.Textarea(attrs={"rows": 3}))


class ConflictFilter(admin.SimpleListFilter):
    """Finding 3: the applications whose student number another person also used, while staff have not decided."""

    title = _("conflict")
    parameter_name = "conflict"

    def lookups(self, request, model_admin):
        return [("open", _("In conflict (open)")), ("none", _("No open conflict"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(in_conflict=True)
        if self.value() == "none":
            return queryset.filter(in_conflict=False)
        return queryset


@admin.register(TemporaryIdApplication)
class TemporaryIdApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "submitted_at", "term", "partner", "home_student_number", "display_name", "email", "status",
        "conflict_flag", "student_id", "returning",
    ]
    list_filter = [ConflictFilter, "status", "term", "partner", "degree_level", "returning", "submitted_at"]
    search_fields = ["home_student_number", "name_ko", "name_latin", "email", "phone", "temporary_id__student_id"]
    list_select_related = ["term", "partner", "temporary_id"]
    date_hierarchy = "submitted_at"
    inlines = [ApplicationEventInline]
    actions = [
        "approve_selected", "reject_selected", "issue_now", "reactivate_and_issue", "revoke_ids", "record_recommendation",
    ]
    fields = [
        "term", "partner", "home_student_number", "name_ko", "name_latin", "date_of_birth", "email", "phone",
        "home_department", "degree_level", "language", "consent_at", "consent_version", "conflict", "status",
        "submitted_at", "confirmed_at",
        "decided_at", "decided_by", "rejection_reason", "issued_at", "temporary_id", "returning",
        "confirmation_sent_at", "confirmation_resends",
    ]
    readonly_fields = [f for f in fields if f not in services.CORRECTABLE_FIELDS]

    @admin.display(description=_("temporary student ID"), ordering="temporary_id__student_id")
    def student_id(self, obj: TemporaryIdApplication) -> str:
        return obj.temporary_id.student_id if obj.temporary_id else "—"

    def get_queryset(self, request):
        open_conflicts = ApplicationConflict.objects.filter(applications=OuterRef("pk"), resolved_at__isnull=True)
        return super().get_queryset(request).annotate(in_conflict=Exists(open_conflicts))

    @admin.display(description=_("in conflict"), boolean=True, ordering="in_conflict")
    def conflict_flag(self, obj: TemporaryIdApplication) -> bool:
        return obj.in_conflict

    @admin.display(description=_("conflict"))
    def conflict(self, obj: TemporaryIdApplication) -> str:
        conflict = obj.conflicts.order_by(F("resolved_at").desc(nulls_first=True)).first() if obj.pk else None
        if conflict is None:
            return "—"
        state = _("open: no ID can be issued") if conflict.is_open else _("resolved")
        url = reverse("admin:creditexchange_applicationconflict_change", args=[conflict.pk])
        return format_html('<a href="{}">{} ({})</a>', url, _("Conflict no. %(number)s") % {"number": conflict.pk}, state)

    def has_add_permission(self, request) -> bool:
        return False  # applications come from applicants

    def save_model(self, request, obj, form, change) -> None:
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in services.CORRECTABLE_FIELDS}
        try:
            services.application_correct(application_id=obj.pk, actor=request.user, values=values)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_decide"] = self.has_approve_permission(request)
        context["can_issue"] = self.has_issue_permission(request)
        context["Status"] = TemporaryIdApplication.Status
        return super().render_change_form(request, context, *args, **kwargs)

    def response_change(self, request, obj):
        """The buttons under the change form decide one application at a time."""
        decisions = {
            "_approve": (self.has_approve_permission, lambda: services.application_approve(application_id=obj.pk, actor=request.user)),
            "_reject": (self.has_approve_permission, lambda: services.application_reject(
                application_id=obj.pk, actor=request.user, reason=clean_typed(request.POST.get("_reason", "")))),
            "_issue": (self.has_issue_permission, lambda: services.temporary_id_issue(application_id=obj.pk, actor=request.user)),
        }
        for button, (allowed, decide) in decisions.items():
            if button in request.POST:
                if not allowed(request):
                    raise PermissionDenied
                try:
                    application = decide()
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                else:
                    self.message_user(request, _("The application is now “%(status)s”.") % {"status": application.get_status_display()}, messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.approve_temporaryidapplication")

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.issue_temporaryidapplication")

    def _run(self, request, queryset, action, done_message) -> None:
        done, errors = 0, []
        for application in queryset:
            try:
                action(application)
            except DomainError as exc:
                errors.append(f"{application}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.WARNING)

    @admin.action(description=_("Approve selected applications"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._run(
            request, queryset,
            lambda a: services.application_approve(application_id=a.pk, actor=request.user),
            lambda n: ngettext("%d application approved.", "%d applications approved.", n) % n,
        )

    @admin.action(description=_("Reject selected applications (with a reason)"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._run(
                request, queryset,
                lambda a: services.application_reject(application_id=a.pk, actor=request.user, reason=reason),
                lambda n: ngettext("%d application rejected.", "%d applications rejected.", n) % n,
            )
            return None
        context = {
            **self.admin_site.each_context(request), "title": _("Reject applications"), "form": form,
            "queryset": queryset, "opts": self.model._meta, "action": "reject_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/creditexchange/reject_applications.html", context)

    def has_record_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.record_recommendation")

    @admin.action(description=_("Record a partner recommendation received by other means"), permissions=["record"])
    def record_recommendation(self, request, queryset):
        from .admin_lists import record_recommendations

        return record_recommendations(self, request, list(queryset.values_list("pk", flat=True)), "record_recommendation")

    @admin.action(description=_("Issue temporary student IDs now"), permissions=["issue"])
    def issue_now(self, request, queryset):
        """A preview first (who gets an ID, who is skipped and why); the confirmation starts the staff job."""
        from .admin_issuance import issue_now

        return issue_now(self, request, queryset)

    @admin.action(description=_("Revoke an ID issued by mistake (with a reason)"), permissions=["issue"])
    def revoke_ids(self, request, queryset):
        from .admin_issuance import revoke_ids

        return revoke_ids(self, request, queryset)

    @admin.action(description=_("Re-activate the deactivated account and issue (with a reason)"), permissions=["issue"])
    def reactivate_and_issue(self, request, queryset):
        """Finding 5b: staff's explicit decision, with a reason, for returning students whose account was deactivated."""
        from .admin_issuance import reactivate_and_issue

        return reactivate_and_issue(self, request, queryset)


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "application", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["application__home_student_number", "application__email", "actor__username", "reason"]
    list_select_related = ["application__term", "application__partner", "actor"]
    readonly_fields = ["application", "from_status", "to_status", "actor", "reason", "changes", "created_at"]


class TimeSlotInline(admin.TabularInline):
    model = TimeSlot
    formset = TimeSlotFormSet
    extra = 1


class CourseOfferingAdminForm(forms.ModelForm):
    class Meta:
        model = CourseOffering
        fields = services.offerings.EDITABLE_FIELDS

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("capacity") is not None:
            try:
                services.offering_capacity_check(offering_id=self.instance.pk, capacity=cleaned["capacity"])
            except DomainError as exc:
                self.add_error("capacity", exc.message)
        if self.instance.pk and cleaned.get("term") is not None:
            try:
                services.offerings.offering_term_check(offering_id=self.instance.pk, term_id=cleaned["term"].pk)
            except DomainError as exc:
                self.add_error("term", exc.message)
        return cleaned


@admin.register(CourseOffering)
class CourseOfferingAdmin(OfferingChangeConfirmMixin, admin.ModelAdmin):
    form = CourseOfferingAdminForm
    list_display = [
        "code", "section", "title_ko", "term", "credits", "capacity", "seats_taken", "campus", "open_to_exchange",
        "published_at",
    ]
    list_filter = ["term", "campus", "department", "open_to_exchange", ("published_at", admin.EmptyFieldListFilter), "credits"]
    search_fields = ["code", "title_ko", "title_en", "instructor"]
    list_select_related = ["term", "campus"]
    # A plain labelled select (departments are few): the autocomplete widget's box has no accessible name (axe).
    readonly_fields = ["seats_taken", "published_at"]
    inlines = [TimeSlotInline]
    actions = ["publish", "unpublish"]
    change_list_template = "admin/creditexchange/courseoffering/change_list.html"

    def get_urls(self):
        urls = super().get_urls()
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="creditexchange_courseoffering_import"),
            path("import/undo/<int:action_id>/", self.admin_site.admin_view(self.import_undo_view),
                 name="creditexchange_courseoffering_import_undo"),
        ]
        return extra + urls

    def import_undo_view(self, request, action_id: int):
        from .admin_offering_change import offerings_import_undo_view

        return offerings_import_undo_view(self, request, action_id)

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.publish_courseoffering")

    @admin.action(description=_("Publish selected offerings"), permissions=["publish"])
    def publish(self, request, queryset):
        try:
            count = services.offerings_publish(offerings=list(queryset), actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, ngettext("%d offering published.", "%d offerings published.", count) % count)

    @admin.action(description=_("Withdraw selected offerings from the catalogue"), permissions=["publish"])
    def unpublish(self, request, queryset):
        try:
            count = services.offerings_unpublish(offerings=list(queryset))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, ngettext("%d offering withdrawn.", "%d offerings withdrawn.", count) % count)

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OfferingImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # A dry run first (staffdesk): its page shows the row errors or the preview to confirm (issue 12).
                job = job_start(
                    kind=JobKind.OFFERINGS_IMPORT, params={"term_id": form.cleaned_data["term"].pk, "dry_run": True},
                    file=(upload.name, upload.read()), actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return HttpResponseRedirect(reverse("staffdesk:job_detail", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request), "title": _("Import course offerings"), "form": form,
            "opts": self.model._meta, "columns": services.offerings.COLUMNS,
        }
        return TemplateResponse(request, "admin/creditexchange/courseoffering/import.html", context)


class RegistrationEventInline(admin.TabularInline):
    model = RegistrationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DropForm(forms.Form):
    reason = forms.CharField(label=_("Reason (kept in the record)"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(CourseRegistration)
class CourseRegistrationAdmin(admin.ModelAdmin):
    list_display = ["registered_at", "student", "offering", "term", "status", "dropped_at", "credit_mark"]
    list_filter = ["status", "term", "offering__campus", "registered_at"]
    search_fields = ["student__username", "student__display_name", "offering__code", "offering__title_ko"]
    list_select_related = ["student", "offering", "term"]
    readonly_fields = ["student", "offering", "term", "status", "registered_at", "dropped_at"]
    inlines = [RegistrationEventInline]
    actions = ["drop_selected"]
    change_list_template = "admin/creditexchange/courseregistration/change_list.html"

    def get_urls(self):
        urls = super().get_urls()
        extra = [path("register/", self.admin_site.admin_view(self.register_view), name="creditexchange_courseregistration_register")]
        return extra + urls

    def has_add_permission(self, request) -> bool:
        return False  # staff register through "Register a student", which records the reason

    def get_queryset(self, request):
        return registrations_with_credit_mark(super().get_queryset(request))

    @admin.display(description=_("credit"))
    def credit_mark(self, obj: CourseRegistration) -> str:
        return _("No credit (not recommended)") if obj.partner_decision == Recommendation.Decision.NOT_RECOMMENDED else ""

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.change_courseregistration")

    @admin.action(description=_("Drop selected registrations (with a reason)"), permissions=["act"])
    def drop_selected(self, request, queryset):
        form = DropForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for registration in queryset.select_related("student"):
                try:
                    services.registration_drop(
                        student=registration.student, registration_id=registration.pk, actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"{registration}: {exc.message}", messages.WARNING)
            self.message_user(request, ngettext("%d registration dropped.", "%d registrations dropped.", done) % done)
            return None
        context = {
            **self.admin_site.each_context(request), "title": _("Drop registrations"), "form": form,
            "queryset": queryset, "opts": self.model._meta, "action": "drop_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/creditexchange/drop_registrations.html", context)

    def register_view(self, request):
        if not self.has_act_permission(request):
            raise PermissionDenied
        form = StaffRegistrationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            student = User.objects.filter(  # exchange students only: a home or staff account is never registered here
                username__iexact=form.cleaned_data["student"].strip(), kind=User.Kind.EXCHANGE
            ).first()
            if student is None:
                form.add_error("student", _("No account has this temporary student ID."))
            else:
                try:
                    services.registration_submit(
                        student=student, offering_id=form.cleaned_data["offering"].pk, actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, _("The student is registered."), messages.SUCCESS)
                    return HttpResponseRedirect("../")
        context = {**self.admin_site.each_context(request), "title": _("Register a student"), "form": form, "opts": self.model._meta}
        return TemplateResponse(request, "admin/creditexchange/courseregistration/register.html", context)


@admin.register(RegistrationEvent)
class RegistrationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "registration", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "created_at"]
    search_fields = ["registration__student__username", "registration__offering__code", "actor__username", "reason"]
    list_select_related = ["registration__student", "registration__offering", "actor"]
    readonly_fields = ["registration", "from_status", "to_status", "actor", "reason", "created_at"]


@admin.register(TimeSlot)
class TimeSlotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: slots change on the offering's page, through the check of registered students' timetables, its
    confirmation and the mails (issue 12, finding 4); a slot edited here would bypass all three."""

    list_display = ["offering", "weekday", "starts_at", "ends_at"]
    list_filter = ["weekday"]
    search_fields = ["offering__code", "offering__title_ko"]
    list_select_related = ["offering"]
    autocomplete_fields = ["offering"]


from . import admin_lists  # noqa: E402,F401,I001 - lists to partners, recommendations (SPEC §3.3)
from . import admin_conflicts  # noqa: E402,F401,I001 - conflicting applications (issue 10, finding 3)
