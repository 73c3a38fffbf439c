"""Pages of a home student: checklist and status, the application form, their own uploads."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.files import FileStoreUnavailable, stored_open, unavailable_response
from core.language import page_language

from . import eligibility, selectors, services
from .forms import ApplicationForm
from .models import AffiliationApplication, Rule


def _student(request):
    """The signed-in student's record and the current round, or a page that explains what is missing."""
    record = selectors.record_for(request.user)
    round = selectors.round_current() if record else None
    return record, round


def _snapshot(application: AffiliationApplication) -> list[dict]:
    """The checklist stored at submission, in the reader's language."""
    language = page_language()
    return [
        {**row, "label": row.get(f"label_{language}", ""), "message": row.get(f"message_{language}", ""),
         "ok": row.get("passed") or row.get("excepted")}
        for row in application.eligibility
    ]


def _verdict(checklist, round) -> eligibility.Verdict:
    # as services.applications._window_allowed: open, or a window exception until stage 1 has run
    return eligibility.verdict(checklist, late_exception_usable=round.stage1_run_at is None)


def _window_refusal(record, round, application) -> str:
    """Why the form may not open now (the window, in the tense of the moment), or "" when it may."""
    checklist = services.eligibility_checklist(record=record, round=round, application=application)
    closed = [check for check in _verdict(checklist, round).blocking if check.code == Rule.WINDOW]
    return closed[0].message if closed else ""


@login_required
def index(request):
    """The student's own application from whichever round it belongs to; otherwise the current round's checklist."""
    record, round = _student(request)
    if record is None or round is None:
        return render(request, "affiliation/status_missing.html", {"record": record}, status=404 if record is None else 200)
    application = selectors.application_for(record=record, round=round)
    submitted = application is not None and application.status != AffiliationApplication.Status.DRAFT
    current, round = round, application.round if submitted else round  # its dates and publications, not a later round's
    checklist = None if submitted else services.eligibility_checklist(record=record, round=round, application=application)
    verdict = _verdict(checklist, round) if checklist is not None else None
    context = {
        "record": record, "round": round, "application": application,
        "later_round": current if current != round else None,  # open to others, not to someone who has applied
        "semesters": record.semesters.select_related("term"),
        "checklist": checklist,
        "verdict": verdict,
        "can_apply": verdict is not None and verdict.may_apply,
        "view": selectors.student_view(application=application) if application else None,
        "snapshot": _snapshot(application) if submitted else None,
        "documents": None if submitted else services.documents_checklist(application=application),
    }
    return render(request, "affiliation/status_detail.html", context)


@login_required
def apply(request):
    record, round = _student(request)
    if record is None or round is None:
        raise Http404
    application = selectors.application_for(record=record, round=round)
    if application and application.status != AffiliationApplication.Status.DRAFT:
        return redirect("affiliation:index")
    refusal = _window_refusal(record, round, application)
    if refusal:
        messages.error(request, refusal)
        return redirect("affiliation:index")
    initial = {name: getattr(application, name) for name in services.applications.DRAFT_FIELDS} if application else {}
    form = ApplicationForm(request.POST or None, request.FILES or None, initial=initial,
                           departments=selectors.target_departments(round=round, record=record),
                           quotas=selectors.quotas_for(round))
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_save(record=record, round=round, values=form.values(),
                                                    files=form.files_values())
            if "submit" in request.POST:
                services.application_submit(application_id=application.pk)
        except services.UploadsRefused as exc:
            application = exc.application or application  # the files that passed are kept on the draft
            for kind, problem in exc.problems.items():
                form.add_error(kind, problem)
            form.add_error(None, _("Choose again only the files named below; the others are kept."))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your application is submitted.") if "submit" in request.POST
                             else _("Your draft is saved. It is not submitted yet."))
            return redirect("affiliation:index")
    return render(request, "affiliation/application_form.html", {
        "form": form, "round": round, "application": application, "record": record,
        "documents": {row["kind"]: row for row in services.documents_checklist(application=application)},
    })


@login_required
def application_file(request, application_id: int, kind: str):
    """An uploaded file, only for its owner and the committee; never through a public media URL."""
    if kind not in services.ALLOWED:
        raise Http404
    application = get_object_or_404(AffiliationApplication.objects.select_related("record"), pk=application_id)
    if application.record.user_id != request.user.pk and not request.user.has_perm("affiliation.view_affiliationapplication"):
        raise Http404
    stored = getattr(application, kind)
    try:
        handle = stored_open(stored)
    except FileStoreUnavailable as exc:
        return unavailable_response(request, exc)
    if handle is None:
        raise Http404
    content_type = mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, as_attachment=True,
                            filename=f"{kind}-{application.record.student_number}.{stored.name.rsplit('.', 1)[-1]}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
