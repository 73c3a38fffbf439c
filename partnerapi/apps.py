from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnerApiConfig(AppConfig):
    name = "partnerapi"
    verbose_name = _("Partner API")

    def ready(self) -> None:
        """Plug into accounts (the registrar's permissions) and the kernel (the PIPA register), as the other apps do."""
        from accounts.roles import role_permissions_register
        from core.privacy import personal_data_register

        from . import privacy, roles

        personal_data_register(models=privacy.PERSONAL_DATA_MODELS, urls=privacy.PORTAL_URLS)
        for role, codenames in roles.ROLE_PERMISSIONS.items():
            role_permissions_register(role, codenames)
