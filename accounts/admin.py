from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import admin_lockouts  # noqa: F401 - sign-in lock-outs (django-axes) with a reset action
from .models import IdSequence, TemporaryStudentId, User
from .roles import user_kinds_for

# Only a superuser grants or sees staff rights; every other role reads them at most.
STAFF_RIGHTS = ["kind", "is_staff", "is_superuser", "groups", "user_permissions"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Each role sees only the kinds of account its work needs (``accounts.roles.ROLE_USER_KINDS``: the registrar
    exchange students, the committee home students) and never a staff account; only superusers add accounts or
    change staff rights, groups and permissions."""

    list_display = ["username", "display_name", "kind", "email", "phone", "language", "is_staff", "is_active", "last_login"]
    list_filter = ["kind", "is_staff", "is_active", "language", "groups"]
    search_fields = ["username", "display_name", "email", "phone", "first_name", "last_name"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Portal"), {"fields": ("kind", "display_name", "phone", "language", "email_changed_at")}),
    )
    readonly_fields = ["email_changed_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        kinds = user_kinds_for(request.user)
        if kinds is None:
            return queryset
        return queryset.filter(kind__in=kinds, is_staff=False, is_superuser=False)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete" and request.GET.get("model_name") == "studentrecord":
            # A student record is only ever linked to a home student's account (issue 10, finding 1).
            queryset = queryset.filter(kind=User.Kind.HOME, is_staff=False, is_superuser=False)
        return queryset, may_have_duplicates

    def get_list_filter(self, request):
        return self.list_filter if request.user.is_superuser else ["is_active", "language"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, *STAFF_RIGHTS]

    def _may_touch(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return not (obj.is_staff or obj.is_superuser) and obj.kind in (user_kinds_for(request.user) or ())

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and self._may_touch(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_touch(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_touch(request, obj)


@admin.register(TemporaryStudentId)
class TemporaryStudentIdAdmin(admin.ModelAdmin):
    list_display = ["student_id", "partner", "home_student_number", "user", "first_issued_at"]
    list_filter = ["partner", "first_issued_at"]
    search_fields = ["student_id", "home_student_number", "user__display_name", "user__email"]
    list_select_related = ["partner", "user"]
    readonly_fields = ["student_id", "partner", "home_student_number", "user", "first_issued_at"]

    def has_add_permission(self, request) -> bool:
        return False  # IDs come only from issuance


@admin.register(IdSequence)
class IdSequenceAdmin(admin.ModelAdmin):
    list_display = ["year", "last_value"]
    list_filter = ["year"]
    search_fields = ["year"]
    readonly_fields = ["year", "last_value"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting a counter would let numbers be handed out again
