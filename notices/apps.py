from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        """Give the staff roles (``accounts.roles``) the notice board's permissions (issue 13)."""
        from accounts.roles import role_permissions_register

        from . import roles

        for role, codenames in roles.ROLE_PERMISSIONS.items():
            role_permissions_register(role, codenames)
