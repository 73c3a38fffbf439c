"""Staff write notices in the admin: only the notice_editor role (and superusers) may."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notices.models import Notice, NoticeAttachment

from ..factories import NoticeAttachmentFactory, NoticeFactory
from .conftest import PDF

CHANGELIST = "/admin/notices/notice/"
ADD = "/admin/notices/notice/add/"


def _form(**overrides) -> dict:
    data = {
        "category": "credit_exchange", "published_at_0": "", "published_at_1": "",
        "title_ko": "수강신청 안내", "author_team_ko": "학사지원팀", "body_ko": "**수강신청**은 9시부터입니다.",
        "title_en": "Course registration", "author_team_en": "Academic Affairs Team", "body_en": "",
        "attachments-TOTAL_FORMS": "1", "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0", "attachments-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_an_outsider_is_sent_to_the_admin_login(db, outsider_client):
    response = outsider_client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client, db):
    assert client.get(ADD)["Location"].startswith("/admin/login/")


def test_staff_without_the_notice_role_is_refused(db, registrar_client):
    assert registrar_client.get(CHANGELIST).status_code == 403
    assert registrar_client.get(ADD).status_code == 403
    assert registrar_client.post(ADD, _form()).status_code == 403
    assert not Notice.objects.exists()


def test_a_notice_editor_sees_the_list_with_filters_and_search(db, notice_editor_client):
    NoticeFactory(title_ko="수강신청 안내", category=Notice.Category.CREDIT_EXCHANGE, pinned=True)
    NoticeFactory(title_ko="점검", published_at=None)

    page = notice_editor_client.get(CHANGELIST)
    drafts = notice_editor_client.get(CHANGELIST, {"published": "no"})
    found = notice_editor_client.get(CHANGELIST, {"q": "수강신청"})

    assert page.status_code == 200
    assert "수강신청 안내" in page.content.decode() and "점검" in page.content.decode()
    assert [n.title_ko for n in drafts.context["cl"].result_list] == ["점검"]
    assert [n.title_ko for n in found.context["cl"].result_list] == ["수강신청 안내"]


def test_a_notice_editor_writes_a_draft_with_an_attachment(db, notice_editor, notice_editor_client):
    upload = SimpleUploadedFile("수강신청 일정.pdf", PDF, content_type="application/pdf")

    response = notice_editor_client.post(ADD, _form(**{"attachments-0-file": upload}))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    notice = Notice.objects.get()
    assert notice.published_at is None  # a draft until published
    assert notice.created_by == notice_editor
    attachment = notice.attachments.get()
    assert attachment.original_name == "수강신청 일정.pdf"
    assert attachment.size == len(PDF)
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.startswith("notices/") and "수강신청" not in attachment.file.name
    assert attachment.file.read() == PDF
    assert LogEntry.objects.filter(object_id=str(notice.pk), user=notice_editor).exists()


def test_a_disguised_attachment_is_refused_and_nothing_is_saved(db, notice_editor_client):
    upload = SimpleUploadedFile("guide.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")

    response = notice_editor_client.post(ADD, _form(**{"attachments-0-file": upload}), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    errors = " ".join(str(e) for form in response.context["inline_admin_formsets"][0].formset.errors for e in form.values())
    assert "guide.pdf does not contain what its name says (PDF)" in errors
    assert not Notice.objects.exists()
    assert not NoticeAttachment.objects.exists()


def test_a_stored_attachment_can_be_removed_from_its_notice(db, notice_editor_client, django_capture_on_commit_callbacks):
    attachment = NoticeAttachmentFactory()
    notice, storage, name = attachment.notice, attachment.file.storage, attachment.file.name
    data = _form(**{
        "title_ko": notice.title_ko, "published_at_0": "2026-01-05", "published_at_1": "10:00:00",
        "attachments-TOTAL_FORMS": "2", "attachments-INITIAL_FORMS": "1",
        "attachments-0-id": str(attachment.pk), "attachments-0-notice": str(notice.pk), "attachments-0-DELETE": "on",
    })

    with django_capture_on_commit_callbacks(execute=True):
        response = notice_editor_client.post(f"/admin/notices/notice/{notice.pk}/change/", data)

    assert response.status_code == 302
    assert not NoticeAttachment.objects.exists()
    assert not storage.exists(name)


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("publish_selected", {"published_at": None}, lambda n: n.published_at is not None),
        ("unpublish_selected", {}, lambda n: n.published_at is None),
        ("pin_selected", {"pinned": False}, lambda n: n.pinned),
        ("unpin_selected", {"pinned": True}, lambda n: not n.pinned),
    ],
)
def test_actions_publish_unpublish_and_pin(db, notice_editor, notice_editor_client, action, before, after):
    notice = NoticeFactory(**before)

    response = notice_editor_client.post(CHANGELIST, {"action": action, "_selected_action": [str(notice.pk)]})

    assert response.status_code == 302
    notice.refresh_from_db()
    assert after(notice)
    assert LogEntry.objects.filter(object_id=str(notice.pk), user=notice_editor).count() == 1


def test_publishing_keeps_the_date_of_a_notice_already_scheduled(db, notice_editor_client):
    later = timezone.now() + timedelta(days=3)
    scheduled = NoticeFactory(published_at=later)

    notice_editor_client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [str(scheduled.pk)]})

    scheduled.refresh_from_db()
    assert scheduled.published_at == later


def test_the_hit_count_and_author_are_not_editable(db, notice_editor_client):
    notice = NoticeFactory(hit_count=7)
    data = _form(title_ko=notice.title_ko, hit_count="9999", **{"attachments-TOTAL_FORMS": "0"})

    notice_editor_client.post(f"/admin/notices/notice/{notice.pk}/change/", data)

    notice.refresh_from_db()
    assert notice.hit_count == 7


def test_deleting_a_notice_removes_its_files(db, notice_editor_client, django_capture_on_commit_callbacks):
    attachment = NoticeAttachmentFactory()
    storage, name = attachment.file.storage, attachment.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = notice_editor_client.post(f"/admin/notices/notice/{attachment.notice_id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Notice.objects.exists()
    assert not storage.exists(name)


def test_the_attachment_list_is_read_only(db, notice_editor_client):
    attachment = NoticeAttachmentFactory()

    listing = notice_editor_client.get("/admin/notices/noticeattachment/")

    assert listing.status_code == 200 and "안내문.pdf" in listing.content.decode()
    assert notice_editor_client.get("/admin/notices/noticeattachment/add/").status_code == 403
    page = notice_editor_client.get(f"/admin/notices/noticeattachment/{attachment.pk}/change/").content.decode()
    assert 'name="original_name"' not in page


def test_it_labels_the_date_time_and_file_inputs_for_screen_readers(db, notice_editor_client):
    """axe-core (rule "label"): the split publication field and the inline's file input each have a name."""
    page = notice_editor_client.get(ADD, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'aria-label="published at: Date"' in page
    assert 'aria-label="published at: Time"' in page
    assert 'aria-label="Attachment file"' in page
