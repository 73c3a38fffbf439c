"""Staff pages: the per-term dashboard with downloads, and the progress page of a background job."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import twofactor
from core.errors import DomainError
from core.jobs import previews, services
from core.jobs.runners import RUNNERS
from core.models import StaffJob
from creditexchange import exports

from . import selectors

FORMATS = ("csv", "xlsx")


def staff_required(view):
    """Anonymous users go to the login page; signed-in users who are not staff get 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        if twofactor.verification_needed(request.user):
            return twofactor.redirect_to_verification(request)
        return view(request, *args, **kwargs)

    return wrapped


def _download(figure: selectors.Figure, term, fmt: str) -> HttpResponse:
    """The figure's table as a file; cells that could be read as formulas are escaped (creditexchange.exports)."""
    if fmt == "csv":
        content, content_type = exports.render_csv(figure.table), exports.CSV_TYPE + "; charset=utf-8"
    else:
        content, content_type = exports.render_xlsx(figure.table, title=figure.title), exports.XLSX_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{term.year}-{term.season}_{figure.key}.{fmt}"'
    return response


@never_cache
@staff_required
def dashboard(request):
    terms, term = selectors.dashboard_terms_for(request.user)
    if request.GET.get("term"):
        term = next((t for t in terms if str(t.pk) == request.GET["term"]), None)
        if term is None:
            raise Http404
    fmt, key = request.GET.get("format"), request.GET.get("figure")
    if fmt or key:
        if fmt not in FORMATS or key not in selectors.FIGURE_SECTION or term is None:
            raise Http404
        if selectors.FIGURE_SECTION[key] not in selectors.visible_sections(request.user):
            raise PermissionDenied
        return _download(selectors.dashboard_figure(term=term, key=key), term, fmt)
    sections = selectors.dashboard_sections(term=term, user=request.user) if term else []
    return render(request, "staffdesk/dashboard.html", {"terms": terms, "term": term, "sections": sections})


@never_cache
@staff_required
def job_detail(request, job_id: int):
    """The job's progress; htmx re-fetches the status part every 2 seconds until the job has finished."""
    job = get_object_or_404(StaffJob.objects.select_related("created_by"), pk=job_id)
    runner = RUNNERS[job.kind]
    if not request.user.has_perm(runner.permission):
        raise PermissionDenied
    context = {"job": job, "back_url": runner.back(job), **_job_extras(request, job, runner)}
    if request.headers.get("HX-Request"):
        return render(request, "staffdesk/_job_status.html", context)
    return render(request, "staffdesk/job_detail.html", context)


def _job_extras(request, job: StaffJob, runner) -> dict:
    """The preview (a finished dry run), the upload link (stale), the staff-action-log entries, the confirmations."""
    if not job.is_finished:
        return {}
    state = services.preview_state(job)
    show_log = request.user.has_perm("core.view_bulkaction")
    return {
        "preview": state,
        "preview_rows": previews.preview_rows(job.report) if state else [],
        "preview_more": previews.more_changes(job.report) if state else 0,
        "preview_total": job.report.get("changes_total", len(job.report.get("changes") or [])),
        "preview_hours": int(services.PREVIEW_KEEP.total_seconds() // 3600),
        "upload_url": runner.upload(job) if runner.upload and (job.report.get("stale") or state == services.PreviewState.EXPIRED) else "",
        "bulk_actions": previews.bulk_actions_for(job) if show_log else [],
        "confirmation": StaffJob.objects.select_related("created_by").filter(confirms=job).first() if state else None,
    }


@require_POST
@staff_required
def job_confirm(request, job_id: int):
    """POST of the preview's "Confirm import" button: the real import, as a new job with the same file."""
    try:
        job = services.job_confirm(job_id=job_id, fingerprint=request.POST.get("fingerprint", ""), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("staffdesk:job_detail", args=[job_id]))
    return HttpResponseRedirect(reverse("staffdesk:job_detail", args=[job.pk]))
