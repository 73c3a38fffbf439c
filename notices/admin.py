from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import DomainError
from core.files import FileStoreUnavailable

from . import services
from .models import Notice, NoticeAttachment
from .rendering import render_markdown


class _StoredFile(forms.Widget):
    """A stored attachment is not re-uploaded (its row shows name, size and a download link)."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        return ""


class LabelledSplitDateTime(AdminSplitDateTime):
    """The admin's date + time pair with a name on each input: Django's field label points at neither (axe "label")."""

    def __init__(self, *, label: str, attrs=None):
        self.label = label
        super().__init__(attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, part in zip(context["widget"]["subwidgets"], (context["date_label"], context["time_label"]), strict=True):
            subwidget["attrs"]["aria-label"] = f"{self.label}: {str(part).rstrip(':： ')}"
        return context


class AttachmentForm(forms.ModelForm):
    """An attachment row: a new file is checked here; a stored one can only be removed, not replaced."""

    class Meta:
        model = NoticeAttachment
        fields = ["file"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The inline's column heading is no <label>: the file input is named for screen readers (axe "label").
        self.fields["file"].widget.attrs["aria-label"] = _("Attachment file")
        if self.instance.pk:
            self.fields["file"].disabled = True
            self.fields["file"].widget = _StoredFile()

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and not self.instance.pk:
            try:
                services.attachment_check(upload=upload)
            except DomainError as exc:
                raise ValidationError(exc.message) from None
        return upload


class NoticeAttachmentInline(admin.TabularInline):
    model = NoticeAttachment
    form = AttachmentForm
    extra = 1
    fields = ["file", "original_name", "size_display", "content_type", "created_at", "download"]
    readonly_fields = ["original_name", "size_display", "content_type", "created_at", "download"]

    @admin.display(description=_("size"))
    def size_display(self, obj: NoticeAttachment) -> str:
        return obj.size_display if obj.pk else "—"

    @admin.display(description=_("download"))
    def download(self, obj: NoticeAttachment):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("Download")) if obj.pk else "—"


class PublicationFilter(admin.SimpleListFilter):
    title = _("publication")
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("yes", _("Published")), ("scheduled", _("Scheduled")), ("no", _("Draft"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(published_at__lte=now)
        if self.value() == "scheduled":
            return queryset.filter(published_at__gt=now)
        if self.value() == "no":
            return queryset.filter(published_at__isnull=True)
        return queryset


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = [
        "title_ko", "category", "pinned", "publication", "published_at", "has_english", "hit_count",
        "attachment_count",
    ]
    list_filter = ["category", "pinned", PublicationFilter, "published_at"]
    search_fields = ["title_ko", "title_en", "body_ko", "body_en", "author_team_ko", "author_team_en"]
    list_select_related = ["created_by"]
    date_hierarchy = "published_at"
    inlines = [NoticeAttachmentInline]
    actions = ["publish_selected", "unpublish_selected", "pin_selected", "unpin_selected"]
    readonly_fields = ["hit_count", "created_by", "created_at", "updated_at", "preview_ko", "preview_en"]
    fieldsets = [
        (None, {"fields": ["category", "pinned", "published_at"]}),
        (_("Korean version"), {"fields": ["title_ko", "author_team_ko", "body_ko", "preview_ko"]}),
        (_("English version"), {"fields": ["title_en", "author_team_en", "body_en", "preview_en"]}),
        (_("Record"), {"fields": ["hit_count", "created_by", "created_at", "updated_at"]}),
    ]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 18, "class": "vLargeTextField notice-source"})},
    }

    class Media:
        css = {"all": ["css/notice_admin.css"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateTimeField):
            kwargs["widget"] = LabelledSplitDateTime(label=db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attachments_total=Count("attachments"))

    @admin.display(description=_("publication"))
    def publication(self, obj: Notice) -> str:
        if obj.published_at is None:
            return _("Draft")
        return _("Published") if obj.is_published() else _("Scheduled")

    @admin.display(description=_("English version"), boolean=True)
    def has_english(self, obj: Notice) -> bool:
        return bool(obj.title_en.strip() and obj.body_en.strip())

    @admin.display(description=_("attachments"), ordering="attachments_total")
    def attachment_count(self, obj: Notice) -> int:
        return obj.attachments_total

    def _preview(self, source: str):
        html = render_markdown(source)
        if not html:
            return "—"
        # render_markdown's output is allow-listed HTML (notices/rendering.py), the same the public page shows.
        # bandit B308/B703 is a false positive: nh3 allow-lists this HTML (notices/rendering.py).
        return format_html('<div class="notice-preview">{}</div>', mark_safe(html))  # noqa: S308  # nosec B308, B703

    @admin.display(description=_("preview (Korean, as published)"))
    def preview_ko(self, obj: Notice):
        return self._preview(obj.body_ko)

    @admin.display(description=_("preview (English, as published)"))
    def preview_en(self, obj: Notice):
        return self._preview(obj.body_en)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not NoticeAttachment:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # fills deleted_objects; stored files are never replaced in place
        for attachment in formset.deleted_objects:
            services.notice_attachment_remove(attachment=attachment)
        for inline in formset.forms:
            upload = inline.cleaned_data.get("file") if hasattr(inline, "cleaned_data") else None
            if upload and not inline.instance.pk and not inline.cleaned_data.get("DELETE"):
                try:
                    services.notice_attachment_add(notice=form.instance, upload=upload)
                except FileStoreUnavailable:  # the notice the editor wrote is kept; only this file is not
                    messages.error(request, _(
                        "%(name)s could not be attached: stored files cannot be reached right now. The notice is "
                        "saved; add the file again in a few minutes.") % {"name": upload.name})

    def delete_model(self, request, obj) -> None:
        services.notice_delete(notice=obj)

    def delete_queryset(self, request, queryset) -> None:
        for notice in queryset:
            services.notice_delete(notice=notice)

    def _log(self, request, queryset, message: str) -> None:
        # The admin history (LogEntry) is the audit trail of notices.
        for notice in queryset:
            self.log_change(request, notice, message)

    @admin.action(description=_("Publish selected notices now"), permissions=["change"])
    def publish_selected(self, request, queryset) -> None:
        drafts = list(queryset.filter(published_at__isnull=True))
        count = services.notice_publish(notice_ids=[n.pk for n in drafts])
        self._log(request, drafts, "Published.")
        self.message_user(request, ngettext("%(count)d notice published.", "%(count)d notices published.", count)
                          % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Unpublish selected notices (back to draft)"), permissions=["change"])
    def unpublish_selected(self, request, queryset) -> None:
        published = list(queryset.filter(published_at__isnull=False))
        count = services.notice_unpublish(notice_ids=[n.pk for n in published])
        self._log(request, published, "Unpublished.")
        self.message_user(request, ngettext("%(count)d notice is a draft again.", "%(count)d notices are drafts again.",
                                            count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Pin selected notices"), permissions=["change"])
    def pin_selected(self, request, queryset) -> None:
        changed = list(queryset.filter(pinned=False))
        count = services.notice_pin(notice_ids=[n.pk for n in changed], pinned=True)
        self._log(request, changed, "Pinned.")
        self.message_user(request, ngettext("%(count)d notice pinned.", "%(count)d notices pinned.", count)
                          % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Unpin selected notices"), permissions=["change"])
    def unpin_selected(self, request, queryset) -> None:
        changed = list(queryset.filter(pinned=True))
        count = services.notice_pin(notice_ids=[n.pk for n in changed], pinned=False)
        self._log(request, changed, "Unpinned.")
        self.message_user(request, ngettext("%(count)d notice unpinned.", "%(count)d notices unpinned.", count)
                          % {"count": count}, messages.SUCCESS)


@admin.register(NoticeAttachment)
class NoticeAttachmentAdmin(admin.ModelAdmin):
    """Every attachment in one list (added and removed on its notice's page)."""

    list_display = ["original_name", "notice", "size_display", "content_type", "created_at", "download"]
    list_filter = ["content_type", "created_at"]
    search_fields = ["original_name", "notice__title_ko", "notice__title_en"]
    list_select_related = ["notice"]
    fields = ["notice", "original_name", "size", "content_type", "created_at", "download"]
    readonly_fields = fields

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj: NoticeAttachment) -> str:
        return obj.size_display

    @admin.display(description=_("download"))
    def download(self, obj: NoticeAttachment):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("Download"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        services.notice_attachment_remove(attachment=obj)

    def delete_queryset(self, request, queryset) -> None:
        for attachment in queryset:
            services.notice_attachment_remove(attachment=attachment)

