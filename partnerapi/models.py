"""API keys of partner universities and the log of every call made with (or without) one (issue 15)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "ustp_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8


def default_expiry():
    return timezone.now() + timedelta(days=settings.PARTNER_API_KEY_DAYS)


class ApiKey(models.Model):
    """One partner's key. The full key is ``<prefix>.<secret>``; only the SHA-256 of the whole key is stored, and the
    prefix (shown in lists and in the call log) finds the row. Issued by ``services.api_key_issue``."""

    partner = models.ForeignKey(
        "academics.Institution", on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("partner"),
        limit_choices_to={"kind": "partner"},
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the key is for, e.g. “student office system”."))
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    secret_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"), editable=False,
    )
    expires_at = models.DateTimeField(_("expires at"), default=default_expiry)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("revoked by"), editable=False,
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        permissions = [("revoke_apikey", _("Can revoke API keys"))]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_key_expires_after_creation"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""), name="api_key_revoked_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} · {self.name}"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and at < self.expires_at


class ApiCall(models.Model):
    """One request to the partner API, answered or refused (401, 403, 404, 429 too)."""

    key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("API key")
    )
    partner = models.ForeignKey(
        "academics.Institution", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("partner"),
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    status = models.PositiveSmallIntegerField(_("status"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"
