"""The checks that need two nodes: each talks to node A and node B directly (http://<host address>:8000 from the
root namespace), so that what one node wrote is read by the other; every loop has a count and a deadline."""

import re
import time
from datetime import timedelta

from .client import CSRF_SECRET, hidden_value, multipart, request
from .seed import CERTIFICATE, PASSWORD


def login(base: str, username: str, password: str = PASSWORD) -> tuple[int, str]:
    """The login form posted to one node: (status, session cookie or "")."""
    answer = request(base, "POST", "/accounts/login/", form={"username": username, "password": password})
    return answer.status, answer.cookies.get("sessionid", "")


def logged_in(base: str, session: str) -> bool:
    answer = request(base, "GET", "/accounts/profile/", cookies={"sessionid": session})
    return answer.status == 200


def sessions_and_files(a: str, b: str, seeded, s3_objects, media_dirs) -> dict:
    """A student signs in on A and is signed in on B; a certificate uploaded through A downloads through B, byte for
    byte, for its owner only; its bytes are in the bucket and on no node's disk."""
    from django.utils import timezone

    from affiliation.models import AffiliationApplication

    taken = (timezone.localdate() - timedelta(days=10)).isoformat()  # a recent test, as the form accepts
    status, session = login(a, seeded.owner)
    result = {"login_status_a": status, "session_on_b": bool(session) and logged_in(b, session),
              "anonymous_refused_b": not logged_in(b, "")}  # B's profile page is not open to anybody
    body, content_type = multipart(
        {"csrfmiddlewaretoken": CSRF_SECRET, "target_department": str(seeded.department_id), "english_test": "toeic",
         "english_score": "870", "english_test_date": taken, "save": "1"},
        {"english_certificate": ("score.pdf", CERTIFICATE, "application/pdf")},
    )
    upload = request(a, "POST", "/affiliation/apply/", cookies={"sessionid": session}, body=body,
                     content_type=content_type)
    result["upload_status_a"] = upload.status
    application = AffiliationApplication.objects.filter(record__user__username=seeded.owner).first()
    stored = application.english_certificate.name if application and application.english_certificate else ""
    result["certificate_stored"] = bool(stored)
    if not stored:
        result.update(download_owner_b=0, download_same_bytes=False, download_other_b=0, in_bucket=False,
                      on_local_disk=False)
        return result
    path = f"/affiliation/applications/{application.pk}/english_certificate/"
    download = request(b, "GET", path, cookies={"sessionid": session})
    result["download_owner_b"] = download.status
    result["download_same_bytes"] = download.body == CERTIFICATE
    _status, other_session = login(b, seeded.other)
    result["download_other_b"] = request(b, "GET", path, cookies={"sessionid": other_session}).status
    objects = s3_objects()
    result["in_bucket"] = objects.get(stored) == CERTIFICATE
    result["on_local_disk"] = any(directory.exists() and any(p.is_file() for p in directory.rglob("*"))
                                  for directory in media_dirs)
    return result


def lookup_limit(a: str, b: str, seeded, limit: int) -> dict:
    """The result look-up, alternately on A and B, one student number, a wrong birth date: refused at the per-key-
    and-address limit counted across both nodes (the counters are in the shared Redis), and then refused on the
    other node too. Counters per node would refuse only at attempt 2 * limit + 1, past this loop's end."""
    form = {"partner": seeded.partner_id, "home_student_number": "202400007", "date_of_birth": "1999-12-31"}
    refused_at, statuses = 0, []
    for attempt in range(1, limit + 3):
        answer = request(a if attempt % 2 else b, "POST", "/credit-exchange/apply/result/", form=form)
        statuses.append(answer.status)
        if "Too many look-ups" in answer.text:
            refused_at = attempt
            break
    again = request(b if refused_at % 2 else a, "POST", "/credit-exchange/apply/result/", form=form)
    return {"lookup_limit": limit, "lookup_refused_at": refused_at, "lookup_statuses": statuses,
            "lookup_refused_on_other": bool(refused_at) and "Too many look-ups" in again.text}


def lockout(a: str, b: str, seeded, limit: int) -> dict:
    """Wrong passwords alternately on A and B: the lock-out (django-axes, in the shared database) comes at the
    configured limit, and then holds on both nodes, even for the right password."""
    locked_at = 0
    for attempt in range(1, limit + 3):
        status, _session = login(a if attempt % 2 else b, seeded.other, "wrong-password-0123")
        if status == 429:
            locked_at = attempt
            break
    right_a, _s = login(a, seeded.other)
    right_b, _s = login(b, seeded.other)
    return {"lockout_limit": limit, "lockout_at": locked_at, "lockout_holds_a": right_a == 429,
            "lockout_holds_b": right_b == 429}


def staff_job(a: str, b: str, seeded, *, timeout: float = 60) -> dict:
    """A staff job (issue the approved temporary IDs) started through A, its progress page read through B."""
    from core.models import StaffJob

    status, session = login(a, seeded.staff)
    result = {"staff_login_a": status}
    cookies = {"sessionid": session}
    changelist = "/admin/creditexchange/temporaryidapplication/"
    form = {"action": "issue_now", "_selected_action": [str(pk) for pk in seeded.approved_ids], "index": "0"}
    preview = request(a, "POST", changelist, cookies=cookies, form=form)
    fingerprint = hidden_value(preview.text, "fingerprint")
    started = request(a, "POST", changelist, cookies=cookies, form={**form, "apply": "1", "fingerprint": fingerprint})
    match = re.search(r"/staff/jobs/(\d+)/", started.headers.get("location", ""))
    result["job_started_a"] = bool(match)
    if not match:
        result.update(job_page_b=0, job_finished=False, job_progress_seen_b=False)
        return result
    job_id = int(match.group(1))
    statuses, progress, page, deadline = [], [], 0, time.monotonic() + timeout
    while time.monotonic() < deadline:  # B's htmx status part, as the job page polls it
        answer = request(b, "GET", f"/staff/jobs/{job_id}/", cookies=cookies, headers={"HX-Request": "true"})
        page = answer.status
        status = re.search(r'id="job-status" data-status="(\w+)"', answer.text)
        statuses.append(status.group(1) if status else "")
        progress += re.findall(r'id="job-progress">(\d+) of (\d+) done', answer.text)
        if page != 200 or statuses[-1] in (StaffJob.Status.DONE, StaffJob.Status.FAILED):
            break
        time.sleep(0.1)
    job = StaffJob.objects.get(pk=job_id)
    final = request(b, "GET", f"/staff/jobs/{job_id}/", cookies=cookies)
    result.update(
        job_page_b=final.status if page == 200 else page, job_status=job.status,
        job_finished=job.status == StaffJob.Status.DONE and 'id="job-summary"' in final.text,
        job_statuses_seen_b=list(dict.fromkeys(statuses)),
        job_progress_b=[f"{done}/{total}" for done, total in dict.fromkeys(progress)][-5:],
        # B showed the job before it was done (queued or running) and then done, as the DB had it.
        job_progress_seen_b=bool(statuses) and statuses[-1] == job.status and any(
            s in (StaffJob.Status.QUEUED, StaffJob.Status.RUNNING) for s in statuses),
    )
    return result
