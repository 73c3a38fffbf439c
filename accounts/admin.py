from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import IdSequence, TemporaryStudentId, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "email", "phone", "language", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "language", "groups"]
    search_fields = ["username", "display_name", "email", "phone", "first_name", "last_name"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("Portal"), {"fields": ("display_name", "phone", "language")}),)


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
