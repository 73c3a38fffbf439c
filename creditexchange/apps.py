from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditExchangeConfig(AppConfig):
    name = "creditexchange"
    verbose_name = _("Credit exchange")
