from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcademicsConfig(AppConfig):
    name = "academics"
    verbose_name = _("Academic structure")

    def ready(self) -> None:
        """Plug this app into the kernel (issue 13): the coordinator contacts in the PIPA access log."""
        from core.privacy import personal_data_register

        from . import privacy

        personal_data_register(models=privacy.PERSONAL_DATA_MODELS)
