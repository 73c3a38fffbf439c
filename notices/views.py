from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_safe

from core.files import FileStoreUnavailable, stored_open, unavailable_response
from core.http import client_ip

from . import selectors, services
from .forms import NoticeSearchForm
from .models import Notice

PAGE_SIZE = 15


def _visitor(request) -> str:
    """Who is visiting, for hit de-duplication: the account, or a keyed hash of address and browser (no raw IP kept)."""
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    fingerprint = f"{client_ip(request)}|{request.META.get('HTTP_USER_AGENT', '')[:300]}"
    return salted_hmac("notices.visitor", fingerprint).hexdigest()[:32]


@require_safe
def notice_list(request):
    form = NoticeSearchForm(request.GET)
    form.is_valid()  # a refused search text shows its error above the whole board
    category, query = form.cleaned_data.get("category", ""), form.cleaned_data.get("q", "")
    page = Paginator(selectors.notice_board(category=category, query=query), PAGE_SIZE).get_page(request.GET.get("page"))
    first_number = page.paginator.count - page.start_index() + 1
    rows = [(first_number - index, notice) for index, notice in enumerate(page.object_list)]
    return render(request, "notices/notice_list.html", {
        "page": page, "rows": rows, "category": category, "query": query, "categories": Notice.Category.choices,
        "query_errors": form.errors.get("q", []),
    })


@require_safe
def notice_detail(request, notice_id: int):
    notice = selectors.notice_for_reader(notice_id=notice_id, user=request.user)
    if notice is None:
        raise Http404
    counted = request.method == "GET" and notice.is_published()  # a HEAD (link checker, preview bot) reads nothing
    if counted and services.notice_hit(notice_id=notice.pk, visitor=_visitor(request)):
        notice.hit_count += 1  # the page shows this visit without reading the row again
    return render(request, "notices/notice_detail.html", {"notice": notice, "attachments": notice.attachments.all()})


@require_safe
def attachment_download(request, notice_id: int, attachment_id: int):
    """An attachment of a notice the reader may see, always as a download under its original name."""
    notice = selectors.notice_for_reader(notice_id=notice_id, user=request.user)
    attachment = next((a for a in notice.attachments.all() if a.pk == attachment_id), None) if notice else None
    if attachment is None:
        raise Http404
    try:
        handle = stored_open(attachment.file)
    except FileStoreUnavailable as exc:
        return unavailable_response(request, exc)
    if handle is None:
        raise Http404
    response = FileResponse(handle, content_type=attachment.content_type, as_attachment=True,
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
