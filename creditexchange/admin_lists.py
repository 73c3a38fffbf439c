"""Admin for lists to partner universities (SPEC §3.3): read-only snapshots, send now, term overview, staff records.

Imported by ``creditexchange.admin``; kept apart so each admin module stays small.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from academics.models import Term, TermWindow
from core.admin import ReadOnlyAdminMixin
from core.bulk import StalePreview
from core.errors import DomainError
from core.jobs.pages import job_url
from core.jobs.services import job_start
from core.models import OutgoingMail

from . import services
from .forms_lists import RecordRecommendationForm, SendListForm
from .jobs import JobKind
from .models import PartnerList, PartnerListFile, Recommendation, RecommendationEvent
from .selectors_lists import lists_with_progress, partner_list_mail_states, partner_list_overview


class PartnerListFileInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PartnerListFile
    extra = 0
    fields = ["filename", "content_type", "size", "sha256", "download"]
    readonly_fields = fields

    @admin.display(description=_("download"))
    def download(self, obj: PartnerListFile) -> str:
        url = reverse("admin:creditexchange_partnerlist_file", args=[obj.partner_list_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


class RecommendationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Recommendation
    extra = 0
    fields = ["application", "decision", "comment", "source", "source_note", "decided_at", "decided_ip", "decided_by"]
    readonly_fields = fields
    show_change_link = True


def record_recommendations(modeladmin, request, application_ids: list[int], action: str):
    """Shared intermediate page of the "record a recommendation received by other means" actions."""
    form = RecordRecommendationForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        done = 0
        for application_id in application_ids:
            try:
                services.recommendation_record(application_id=application_id, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                modeladmin.message_user(request, exc.message, messages.WARNING)
            else:
                done += 1
        modeladmin.message_user(
            request, ngettext("%d recommendation recorded.", "%d recommendations recorded.", done) % done, messages.SUCCESS
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request), "title": _("Record a recommendation received by other means"),
        "form": form, "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME), "action": action,
        "count": len(application_ids), "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/creditexchange/record_recommendation.html", context)


@admin.register(PartnerList)
class PartnerListAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sent_at", "term", "partner", "kind", "students", "answered", "recipient_list", "deadline", "trigger"]
    list_filter = ["kind", "term", "partner", "trigger", "sent_at"]
    search_fields = ["partner__code", "partner__name_ko", "partner__name_en"]
    list_select_related = ["term", "partner"]
    date_hierarchy = "sent_at"
    fields = [
        "partner", "term", "kind", "language", "sent_at", "deadline", "trigger", "sent_by", "recipient_list", "mail_state",
        "answered", "snapshot",
    ]
    readonly_fields = fields
    inlines = [PartnerListFileInline, RecommendationInline]
    change_list_template = "admin/creditexchange/partnerlist/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("send/", wrap(self.send_view), name="creditexchange_partnerlist_send"),
            path("term/", wrap(self.overview_view), name="creditexchange_partnerlist_overview"),
            path("term/<int:term_id>/", wrap(self.overview_view), name="creditexchange_partnerlist_term"),
            path("<int:list_id>/files/<int:file_id>/", wrap(self.file_view), name="creditexchange_partnerlist_file"),
        ] + super().get_urls()

    def get_queryset(self, request):
        return lists_with_progress(super().get_queryset(request))

    @admin.display(description=_("students"))
    def students(self, obj: PartnerList) -> int:
        return obj.student_count

    @admin.display(description=_("answered"))
    def answered(self, obj: PartnerList) -> str:
        return _("%(answered)s of %(total)s") % {"answered": obj.answered_count, "total": obj.line_count}

    @admin.display(description=_("recipients"))
    def recipient_list(self, obj: PartnerList) -> str:
        return ", ".join(obj.recipients)

    @admin.display(description=_("mail"))
    def mail_state(self, obj: PartnerList) -> str:
        states = partner_list_mail_states(list_ids=[obj.pk]).get(obj.pk, {})
        labels = dict(OutgoingMail.Status.choices)
        return ", ".join(f"{labels.get(status, status)}: {count}" for status, count in sorted(states.items()))

    @admin.display(description=_("rows as sent"))
    def snapshot(self, obj: PartnerList) -> str:
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (row["home_student_number"], " / ".join(filter(None, [row["name_ko"], row["name_latin"]])),
                 row.get("student_id") or "—", row.get("application_status") or row.get("total_credits", ""),
                 _("No credit") if row.get("no_credit") else "")
                for row in obj.rows
            ),
        )
        return format_html("<table>{}</table>", rows)

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.send_partnerlist")

    def send_view(self, request):
        """Choose (or come from the term overview) → preview of the exact rows and recipients → confirm with the
        preview's fingerprint → the staff job. A changed list (a student added, an address changed) shows the new
        preview; the job re-checks it under the partner's lock before mailing (issue 12)."""
        if not self.has_send_permission(request):
            raise PermissionDenied
        form = SendListForm(request.POST or None, initial=request.GET.dict())
        preview, stale = None, ""
        if request.method == "POST" and form.is_valid():
            partner, term, kind = (form.cleaned_data[k] for k in ("partner", "term", "kind"))
            try:
                preview = services.partner_list_preview(partner=partner, term=term, kind=kind)
                if "confirm" in request.POST:
                    if request.POST.get("fingerprint", "") != preview.fingerprint:
                        raise StalePreview()
                    job = job_start(
                        kind=JobKind.PARTNER_LIST_SEND, actor=request.user,
                        params={"partner_id": partner.pk, "term_id": term.pk, "kind": kind, "expected": preview.fingerprint},
                    )
                    self.message_user(
                        request,
                        _("The %(kind)s list for %(partner)s is being prepared and mailed.")
                        % {"kind": PartnerList.Kind(kind).label, "partner": partner.name}, messages.SUCCESS,
                    )
                    return HttpResponseRedirect(job_url(job.pk))
            except StalePreview as exc:
                stale = exc.message
            except DomainError as exc:
                form.add_error(None, exc.message)
                preview = None
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "preview": preview,
            "stale": stale,
            "title": _("Send a list to a partner: preview") if preview else _("Send a list to a partner now"),
        }
        template = "send_preview.html" if preview else "send.html"
        return TemplateResponse(request, f"admin/creditexchange/partnerlist/{template}", context)

    def overview_view(self, request, term_id: int | None = None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        terms = list(Term.objects.chronological())
        term = get_object_or_404(Term, pk=term_id) if term_id else (terms[0] if terms else None)
        windows = []
        if term is not None:
            closes = {w.kind: w.ends_at for w in TermWindow.objects.filter(term=term)}
            windows = [
                (label, closes.get(services.partner_lists.WINDOW_OF_KIND[kind])) for kind, label in PartnerList.Kind.choices
            ]
        context = {
            **self.admin_site.each_context(request), "title": _("Lists to partners by term"), "terms": terms, "term": term,
            "rows": partner_list_overview(term=term) if term else [], "kinds": PartnerList.Kind.choices,
            "closes": windows, "can_send": self.has_send_permission(request), "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/creditexchange/partnerlist/overview.html", context)

    def file_view(self, request, list_id: int, file_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        stored = get_object_or_404(PartnerListFile, pk=file_id, partner_list_id=list_id)
        response = HttpResponse(bytes(stored.content), content_type=stored.content_type)
        response["Content-Disposition"] = f'attachment; filename="{stored.filename}"'
        return response


class RecommendationEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RecommendationEvent
    extra = 0
    fields = ["created_at", "from_decision", "to_decision", "from_comment", "to_comment", "source", "source_note", "actor", "ip", "user_agent"]
    readonly_fields = fields


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["application", "partner", "term", "list_kind", "decision", "comment", "source", "decided_at", "decided_ip"]
    list_filter = ["decision", "source", "partner_list__kind", "application__term", "application__partner"]
    search_fields = [
        "application__home_student_number", "application__name_ko", "application__name_latin",
        "application__temporary_id__student_id", "comment", "source_note",
    ]
    list_select_related = ["application__term", "application__partner", "partner_list"]
    fields = [
        "partner_list", "application", "decision", "comment", "source", "source_note", "decided_at", "decided_ip", "decided_by",
    ]
    readonly_fields = fields
    inlines = [RecommendationEventInline]
    actions = ["record_selected"]

    @admin.display(description=_("partner"), ordering="application__partner__code")
    def partner(self, obj: Recommendation):
        return obj.application.partner

    @admin.display(description=_("term"), ordering="application__term")
    def term(self, obj: Recommendation):
        return obj.application.term

    @admin.display(description=_("list"))
    def list_kind(self, obj: Recommendation) -> str:
        return obj.partner_list.get_kind_display() if obj.partner_list else _("(staff record)")

    def has_record_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.record_recommendation")

    @admin.action(description=_("Record a recommendation received by other means"), permissions=["record"])
    def record_selected(self, request, queryset):
        ids = sorted(set(queryset.values_list("application_id", flat=True)))
        return record_recommendations(self, request, ids, "record_selected")


@admin.register(RecommendationEvent)
class RecommendationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "recommendation", "from_decision", "to_decision", "source", "actor", "ip"]
    list_filter = ["to_decision", "source", "created_at"]
    search_fields = [
        "recommendation__application__home_student_number", "recommendation__application__name_latin",
        "actor__username", "ip", "source_note",
    ]
    list_select_related = ["recommendation__application__partner", "recommendation__application__term", "actor"]
    readonly_fields = [
        "recommendation", "from_decision", "to_decision", "from_comment", "to_comment", "source", "source_note", "actor",
        "ip", "user_agent", "created_at",
    ]


@admin.register(PartnerListFile)
class PartnerListFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "partner_list", "content_type", "size", "sha256"]
    list_filter = ["content_type", "partner_list__kind", "partner_list__term"]
    search_fields = ["filename", "sha256"]
    list_select_related = ["partner_list__partner", "partner_list__term"]
    fields = ["partner_list", "filename", "content_type", "size", "sha256", "download"]
    readonly_fields = fields

    @admin.display(description=_("download"))
    def download(self, obj: PartnerListFile) -> str:
        return PartnerListFileInline.download(None, obj)
