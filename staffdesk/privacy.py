"""This app's pages in the access log (``core.privacy``): the dashboard's exports and the job pages."""

from core.models import PersonalDataAccess

Action = PersonalDataAccess.Action


def _staff_export(request, response, match):
    if not (request.GET.get("format") or request.GET.get("figure")):
        return None
    params = {key: request.GET.get(key, "")[:40] for key in ("term", "figure", "format")}
    return "staffdesk.figure", [{"action": Action.EXPORT, "reference": " ".join(f"{k}={v}" for k, v in params.items())}]


def _staff_job(request, response, match):
    if request.headers.get("HX-Request"):
        return None  # the status part polled every 2 s; the full page was recorded
    return "core.staffjob", [{"action": Action.VIEW, "ids": [match.kwargs["job_id"]]}]


PORTAL_URLS = {"staffdesk:dashboard": _staff_export, "staffdesk:job_detail": _staff_job}
