from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffDeskConfig(AppConfig):
    name = "staffdesk"
    verbose_name = _("Staff desk")

    def ready(self) -> None:
        """Plug this app into the kernel (issue 13): its pages in the PIPA access log, and the job page."""
        from core.jobs.pages import job_page_register
        from core.privacy import personal_data_register

        from . import privacy

        personal_data_register(urls=privacy.PORTAL_URLS)
        job_page_register("staffdesk:job_detail")
