"""Sign-in lock-outs in the admin (issue 10, finding 2): django-axes' own admins plus a reset action.

Only superusers and the ``registrar`` role (``axes.view_accessattempt`` + ``axes.delete_accessattempt``)
see and lift lock-outs; the logs of successful and failed sign-ins hold addresses and stay with superusers.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import User
from .roles import user_kinds_for

for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    actions = ["reset_lockouts", "cleanup_expired_attempts"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a record of what happened; reset it, never edit it

    def get_queryset(self, request):
        # Least privilege: a role sees only the lock-outs of the accounts it looks after (roles.ROLE_USER_KINDS).
        queryset = super().get_queryset(request)
        kinds = user_kinds_for(request.user)
        if kinds is None:
            return queryset
        accounts = User.objects.filter(kind__in=kinds, is_staff=False, is_superuser=False,
                                       username__iexact=OuterRef("username"))
        return queryset.filter(Exists(accounts))

    @admin.action(description=_("Reset the lock-out of the selected attempts"), permissions=["delete"])
    def reset_lockouts(self, request, queryset):
        attempts = list(queryset)
        self.log_deletions(request, attempts)  # who lifted which lock-out stays in the admin's history
        count = services.lockout_reset(attempts=attempts)
        self.message_user(request, ngettext(
            "Lifted %(count)d lock-out record; the user name can sign in again from that address.",
            "Lifted %(count)d lock-out records; those user names can sign in again from their addresses.",
            count,
        ) % {"count": count}, messages.SUCCESS)


@admin.register(AccessLog)
class SignInLogAdmin(AccessLogAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessFailureLog)
class SignInFailureLogAdmin(AccessFailureLogAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
