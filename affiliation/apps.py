from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffiliationConfig(AppConfig):
    name = "affiliation"
    verbose_name = _("Change of affiliation")

    def ready(self) -> None:
        from ustportal.bulk import undo_page_register

        undo_page_register("affiliation.records_import", "admin:affiliation_studentrecord_import_undo")
        undo_page_register("affiliation.scores_import", "admin:affiliation_affiliationapplication_scores_undo")
