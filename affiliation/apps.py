from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffiliationConfig(AppConfig):
    name = "affiliation"
    verbose_name = _("Change of affiliation")

    def ready(self) -> None:
        """Plug this app into the kernel and accounts (issue 13): mails, jobs, undo pages, role permissions."""
        from accounts.roles import role_permissions_register
        from core.bulk import undo_page_register
        from core.emails import mail_register
        from core.privacy import personal_data_register

        from . import emails, jobs, privacy, roles

        mail_register(emails.BUILDERS)
        jobs.register()
        undo_page_register("affiliation.records_import", "admin:affiliation_studentrecord_import_undo")
        undo_page_register("affiliation.scores_import", "admin:affiliation_affiliationapplication_scores_undo")
        personal_data_register(models=privacy.PERSONAL_DATA_MODELS, urls=privacy.PORTAL_URLS)
        for role, codenames in roles.ROLE_PERMISSIONS.items():
            role_permissions_register(role, codenames)
