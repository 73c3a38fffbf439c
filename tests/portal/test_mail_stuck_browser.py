"""The registrar sends a mail stuck in "sending" again, in a real browser (ko, en, 390 px): the list's filter,
the action, the preview that warns it may arrive twice with the same Message-ID, the confirmation; axe finds
nothing; the mail goes with its Message-ID (issue 12, finding 6)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ensure_roles
from core.mail import stale_claim
from core.models import BulkAction, OutgoingMail
from tests.browser.conftest import axe_check, browser, log_in, open_page, problems, shot, submit  # noqa: F401 - fixtures

from ..factories import UserFactory

WORDS = {
    "ko": {"action": "발송 중 멈춘 메일을 미발송으로 표시하고 다시 보내기", "twice": "두 번 받을 수 있습니다",
           "done": "같은 Message-ID로"},
    "en": {"action": "Mark stuck mail as not sent and send it again", "twice": "may receive it twice",
           "done": "with its Message-ID"},
}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True)], ids=["ko", "en", "ko-phone"])
def test_the_registrar_sends_a_stuck_mail_again_after_the_warning(
    open_page, live_server, problems, shot, submitted_application, language, phone  # noqa: F811
):
    from playwright.sync_api import expect

    ensure_roles()
    registrar = UserFactory(username="registrar", is_staff=True, language=language)
    registrar.groups.add(Group.objects.get(name="registrar"))
    stuck = OutgoingMail.objects.create(
        kind="application_confirmation", to=submitted_application.email, language="en", attempts=1,
        params={"application_id": submitted_application.pk}, status=OutgoingMail.Status.SENDING,
        claimed_at=timezone.now() - stale_claim() - timedelta(minutes=1),
    )
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, registrar)

    page.goto(f"{live_server.url}/admin/core/outgoingmail/?stuck=yes")
    page.locator(f"input[name=_selected_action][value='{stuck.pk}']").check()
    page.locator("select[name=action]").select_option(label=WORDS[language]["action"])
    submit(page, "button[name=index]")

    expect(page.locator("#send-again-twice")).to_contain_text(WORDS[language]["twice"])
    expect(page.locator("#send-again-table")).to_contain_text(stuck.message_id)
    shot(page, f"mail-send-again-{language}{'-phone' if phone else ''}")
    axe_check(page, context=f"send stuck mail again {language}")
    assert OutgoingMail.objects.get(pk=stuck.pk).status == OutgoingMail.Status.SENDING  # nothing done yet

    submit(page, "#send-again-confirm")

    expect(page.locator(".messagelist")).to_contain_text(WORDS[language]["done"])
    stuck.refresh_from_db()
    assert stuck.status == OutgoingMail.Status.SENT and stuck.attempts == 1
    assert BulkAction.objects.get(kind="ustportal.mail_send_again").actor == registrar
    assert problems == []


RESEND = {
    "ko": {"action": "선택한 메일 다시 보내기", "warning": "회수할 수 없습니다", "copy": "새 사본",
           "done": "다시 발송 대기열"},
    "en": {"action": "Re-send selected mail", "warning": "cannot be recalled", "copy": "a new copy",
           "done": "queued again"},
}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("en", True)], ids=["ko", "en", "en-phone"])
def test_the_registrar_re_sends_a_failed_and_a_sent_mail_after_the_preview(
    open_page, live_server, problems, shot, submitted_application, language, phone  # noqa: F811
):
    from playwright.sync_api import expect

    ensure_roles()
    registrar = UserFactory(username="registrar", is_staff=True, language=language)
    registrar.groups.add(Group.objects.get(name="registrar"))
    made = {
        status: OutgoingMail.objects.create(
            kind="application_confirmation", to=submitted_application.email, language="en", attempts=1,
            params={"application_id": submitted_application.pk}, status=status,
        )
        for status in (OutgoingMail.Status.FAILED, OutgoingMail.Status.SENT)
    }
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, registrar)

    page.goto(f"{live_server.url}/admin/core/outgoingmail/")
    for mail in made.values():
        page.locator(f"input[name=_selected_action][value='{mail.pk}']").check()
    page.locator("select[name=action]").select_option(label=RESEND[language]["action"])
    submit(page, "button[name=index]")

    expect(page.locator("#resend-warning")).to_contain_text(RESEND[language]["warning"])
    expect(page.locator("#resend-table")).to_contain_text(made[OutgoingMail.Status.FAILED].message_id)
    expect(page.locator("#resend-table")).to_contain_text(RESEND[language]["copy"])
    shot(page, f"mail-resend-{language}{'-phone' if phone else ''}")
    axe_check(page, context=f"re-send mail {language}")
    assert OutgoingMail.objects.count() == 2 and not BulkAction.objects.exists()  # nothing done yet

    submit(page, "#resend-confirm")

    expect(page.locator(".messagelist")).to_contain_text(RESEND[language]["done"])
    assert OutgoingMail.objects.count() == 3  # the sent one went as a new copy
    assert OutgoingMail.objects.get(pk=made[OutgoingMail.Status.FAILED].pk).status == OutgoingMail.Status.SENT
    assert BulkAction.objects.get(kind="ustportal.mail_resend").actor == registrar
    assert problems == []
