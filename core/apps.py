from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The kernel (issue 13): what every app may use; it imports no project package, apps plug into it."""

    name = "core"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from . import text

        text.install()  # every form's CharFields drop control and hiding characters (core/text.py)
