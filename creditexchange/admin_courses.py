"""Admin of course offerings (import, publish, change with its preview), registrations and time slots (SPEC §3.2)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from core.admin import AuditTrailInline, ReadOnlyAdminMixin
from core.errors import DomainError
from core.jobs.pages import job_url
from core.jobs.services import job_start

from . import services
from .admin_offering_change import OfferingChangeConfirmMixin, TimeSlotFormSet
from .forms import OfferingImportForm, StaffRegistrationForm
from .jobs import JobKind
from .models import (
    CourseOffering,
    CourseRegistration,
    Recommendation,
    RegistrationEvent,
    TimeSlot,
)
from .selectors_lists import registrations_with_credit_mark


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
        "code", "section", "title_ko", "term", "credits", "capacity", "seats_taken", "waiting_link", "campus",
        "open_to_exchange", "published_at", "grades_link",
    ]
    list_filter = ["term", "campus", "department", "open_to_exchange", ("published_at", admin.EmptyFieldListFilter), "credits"]
    search_fields = ["code", "title_ko", "title_en", "instructor"]
    list_select_related = ["term", "campus"]
    # A plain labelled select (departments are few): the autocomplete widget's box has no accessible name (axe).
    readonly_fields = ["seats_taken", "waiting", "published_at"]
    inlines = [TimeSlotInline]

    @admin.display(description=_("on the waitlist"), ordering="waiting")
    def waiting_link(self, obj):
        """The offering's waitlist, in joining order (issue 14)."""
        if not obj.waiting:
            return 0
        url = reverse("admin:creditexchange_waitlistentry_changelist") + f"?offering__id__exact={obj.pk}&status__in=waiting,offered"
        return format_html('<a href="{}">{}</a>', url, obj.waiting)

    def get_list_display(self, request):
        from .admin_grades import can_enter_grades

        shown = super().get_list_display(request)
        return shown if can_enter_grades(request.user) else [name for name in shown if name != "grades_link"]

    @admin.display(description=_("grade sheet"))
    def grades_link(self, obj):
        """The offering's grade sheet (issue 15)."""
        from .admin_grades import grade_sheet_link

        return grade_sheet_link(obj)
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
                return HttpResponseRedirect(job_url(job.pk))
        context = {
            **self.admin_site.each_context(request), "title": _("Import course offerings"), "form": form,
            "opts": self.model._meta, "columns": services.offerings.COLUMNS,
        }
        return TemplateResponse(request, "admin/creditexchange/courseoffering/import.html", context)


class RegistrationEventInline(AuditTrailInline):
    model = RegistrationEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]


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
