from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffiliationConfig(AppConfig):
    name = "affiliation"
    verbose_name = _("Change of affiliation")
