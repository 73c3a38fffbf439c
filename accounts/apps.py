from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from core.emails import mail_register
        from core.privacy import personal_data_register
        from core.visibility import scope_register

        from . import emails, privacy
        from .roles import action_scope, ensure_roles, mail_scope

        mail_register(emails.BUILDERS)
        scope_register(mail=mail_scope, actions=action_scope)

        # Groups need the permissions that exist only after every app has migrated.
        post_migrate.connect(ensure_roles, dispatch_uid="accounts.ensure_roles")
        personal_data_register(models=privacy.PERSONAL_DATA_MODELS)
