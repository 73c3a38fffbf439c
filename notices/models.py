"""The public notice board (SPEC §3.4): notices in Korean and English with attachments.

A notice is a draft while ``published_at`` is empty and is public from that instant on, so staff can
also schedule one. Bodies are stored as Markdown and rendered + sanitized on the server when shown
(notices/rendering.py). Changes are audited by Django's admin history (LogEntry): notices are public
text, not decisions about a person, so no event table of their own.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.language import ENGLISH, KOREAN, bilingual, is_english, page_language

from .rendering import plain_text, render_markdown


class Notice(models.Model):
    class Category(models.TextChoices):
        CREDIT_EXCHANGE = "credit_exchange", _("Credit exchange")
        AFFILIATION = "affiliation", _("Change of affiliation")
        GENERAL = "general", _("General")

    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.GENERAL)
    title_ko = models.CharField(pgettext_lazy("notice", "title (Korean)"), max_length=200)
    title_en = models.CharField(pgettext_lazy("notice", "title (English)"), max_length=200, blank=True)
    body_ko = models.TextField(
        _("body (Korean)"), blank=True,
        help_text=_("Markdown: **bold**, lists with “-”, tables, [link text](https://…). "
                    "HTML is reduced to a safe subset; scripts and styles are removed."),
    )
    body_en = models.TextField(_("body (English)"), blank=True, help_text=_("Empty: the Korean body is shown."))
    author_team_ko = models.CharField(_("author team (Korean)"), max_length=100, default="학사지원팀")
    author_team_en = models.CharField(_("author team (English)"), max_length=100, default="Academic Affairs Team")
    pinned = models.BooleanField(_("pinned"), default=False, help_text=_("Pinned notices are listed first."))
    published_at = models.DateTimeField(
        _("published at"), null=True, blank=True, db_index=True,
        help_text=_("Empty: a draft, visible only to notice editors. A future time publishes it then."),
    )
    hit_count = models.PositiveIntegerField(_("hits"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-pinned", "-published_at", "-pk"]
        indexes = [models.Index(fields=["-pinned", "-published_at"], name="notice_board_order")]
        constraints = [
            models.CheckConstraint(condition=Q(hit_count__gte=0), name="notice_hit_count_non_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("notices:detail", args=[self.pk])

    def is_published(self, at: datetime | None = None) -> bool:
        return self.published_at is not None and self.published_at <= (at or timezone.now())

    @property
    def title(self) -> str:
        return bilingual(self.title_ko, self.title_en)

    @property
    def author_team(self) -> str:
        return bilingual(self.author_team_ko, self.author_team_en)

    @property
    def body_language(self) -> str:
        """The language of the body shown: the active one, or the other when that one is empty."""
        if is_english():
            return ENGLISH if self.body_en.strip() or not self.body_ko.strip() else KOREAN
        return KOREAN if self.body_ko.strip() or not self.body_en.strip() else ENGLISH

    @property
    def body_in_other_language(self) -> bool:
        """The body shown is not in the page's language (the notice has none in it): the page says so."""
        return self.body_language != page_language()

    @property
    def body_html(self) -> str:
        """Sanitized HTML of the body in the active language (falling back to the other one)."""
        return render_markdown(self.body_en if self.body_language == ENGLISH else self.body_ko)

    @property
    def excerpt(self) -> str:
        return plain_text(self.body_en if self.body_language == ENGLISH else self.body_ko)[:160]


def attachment_path(instance: "NoticeAttachment", filename: str) -> str:
    """A server-chosen name: the uploader's file name never reaches the file system."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"notices/{uuid.uuid4().hex}.{extension}"


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("notice"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["notice", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("notices:attachment", args=[self.notice_id, self.pk])

    @property
    def size_display(self) -> str:
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f} MB"
        return f"{max(1, round(self.size / 1024))} KB"
