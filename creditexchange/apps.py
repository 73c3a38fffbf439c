from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditExchangeConfig(AppConfig):
    name = "creditexchange"
    verbose_name = _("Credit exchange")

    def ready(self) -> None:
        """Plug this app into the kernel, academics and accounts (issue 13): they name no app, apps register."""
        from academics.term_checks import term_change_check_register
        from accounts.roles import role_permissions_register
        from core.bulk import undo_page_register
        from core.emails import attachment_register, mail_register
        from core.privacy import personal_data_register

        from . import emails, emails_transcripts, jobs, privacy, roles, signals
        from .term_limits import credit_limit_refusals

        mail_register(emails.BUILDERS)
        attachment_register(emails.ATTACHMENTS)
        mail_register(emails_transcripts.BUILDERS)
        attachment_register(emails_transcripts.ATTACHMENTS)
        jobs.register()
        signals.connect()
        term_change_check_register(credit_limit_refusals)
        undo_page_register("creditexchange.offerings_import", "admin:creditexchange_courseoffering_import_undo")
        personal_data_register(models=privacy.PERSONAL_DATA_MODELS, urls=privacy.PORTAL_URLS)
        for role, codenames in roles.ROLE_PERMISSIONS.items():
            role_permissions_register(role, codenames)
