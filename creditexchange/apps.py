from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditExchangeConfig(AppConfig):
    name = "creditexchange"
    verbose_name = _("Credit exchange")

    def ready(self) -> None:
        from ustportal.bulk import undo_page_register

        undo_page_register("creditexchange.offerings_import", "admin:creditexchange_courseoffering_import_undo")
