from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditExchangeConfig(AppConfig):
    name = "creditexchange"
    verbose_name = _("Credit exchange")

    def ready(self) -> None:
        from academics.term_checks import term_change_check_register
        from ustportal.bulk import undo_page_register

        from .term_limits import credit_limit_refusals

        term_change_check_register(credit_limit_refusals)

        undo_page_register("creditexchange.offerings_import", "admin:creditexchange_courseoffering_import_undo")
