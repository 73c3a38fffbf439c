"""Review R2 (issue 12, finding 9): the rejection reason typed under an application's admin page (a plain input read
from the POST, not a form field) is typed text: it is mailed to the applicant, so control and hiding characters go and
a decomposed Hangul reason is composed (NFC), as in every form."""

import unicodedata

from creditexchange.models import TemporaryIdApplication

from .test_admin_buttons import _post_button


def test_the_rejection_reason_loses_control_and_hiding_characters(registrar_client, confirmed_application):
    typed = "\u202e" + unicodedata.normalize("NFD", "협정 대상 아님") + "\x07\u200b"

    _post_button(registrar_client, confirmed_application, "_reject", _reason=typed)

    confirmed_application.refresh_from_db()
    assert confirmed_application.status == TemporaryIdApplication.Status.REJECTED
    assert confirmed_application.rejection_reason == "협정 대상 아님"


def test_a_reason_of_only_invisible_characters_is_no_reason(registrar_client, confirmed_application):
    _post_button(registrar_client, confirmed_application, "_reject", _reason="\u200b\u202e")

    confirmed_application.refresh_from_db()
    assert confirmed_application.status == TemporaryIdApplication.Status.CONFIRMED
