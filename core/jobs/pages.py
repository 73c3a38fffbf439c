"""Where a job's page lives: the app that serves it registers its URL name, the apps below it ask ``job_url``.

The job page (``/staff/jobs/<id>/``) belongs to ``staffdesk``, which sits above the apps that start jobs; they
redirect to it through this hook instead of naming staffdesk's URL (issue 13). ``StaffDeskConfig.ready()``
registers it.
"""

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

# The registered URL name (one at most); it takes the job id as its argument.
# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
_JOB_PAGE: list[str] = []


def job_page_register(url_name: str) -> None:
    """``url_name`` (e.g. ``"staffdesk:job_detail"``) takes the StaffJob id as its argument."""
    _JOB_PAGE[:] = [url_name]


def job_url(job_or_id) -> str:
    """The URL of the page that shows the job's progress and report."""
    if not _JOB_PAGE:
        raise ImproperlyConfigured(
            "No job page is registered: the app serving /staff/jobs/<id>/ calls "
            "core.jobs.pages.job_page_register(url_name) in its AppConfig.ready()."
        )
    return reverse(_JOB_PAGE[0], args=[getattr(job_or_id, "pk", job_or_id)])
