from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PortalConfig(AppConfig):
    name = "ustportal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the multi-node checks

        _label_third_party_apps()


# The staff's admin names the libraries' sections and models in the staff's language too: axes ships no
# Korean, and django-otp's app and model names are not translatable at all.
THIRD_PARTY_LABELS = {
    "axes": (_("Sign-in throttling"), {}),
    "otp_totp": (_("Second factor: authenticator apps"), {"totpdevice": (_("authenticator app"), _("authenticator apps"))}),
    "otp_static": (_("Second factor: recovery codes"), {
        "staticdevice": (_("recovery code set"), _("recovery code sets")),
        "statictoken": (_("recovery code"), _("recovery codes")),
    }),
}


# django-axes translates these itself but has no Korean catalogue; naming them here puts them in ours.
AXES_MESSAGES = [
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("access failure"),
    gettext_noop("access failures"), gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"), gettext_noop("HTTP Accept"),
    gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"), gettext_noop("GET Data"),
    gettext_noop("POST Data"), gettext_noop("Failed Logins"), gettext_noop("Logout Time"), gettext_noop("Form Data"),
    gettext_noop("Meta Data"), gettext_noop("Access Attempt"),
]


def _label_third_party_apps() -> None:
    from django.apps import apps

    for app_label, (verbose_name, models) in THIRD_PARTY_LABELS.items():
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        config.verbose_name = verbose_name
        for model_name, (singular, plural) in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural
