"""Review R2 (issue 12, finding 6): the Message-ID's domain comes from settings an operator types
(MAIL_MESSAGE_ID_DOMAIN, DEFAULT_FROM_EMAIL); whatever they hold, every mail gets an RFC 5322 msg-id
(``<dot-atom@dot-atom>``, ASCII, no whitespace or line break), so no header can be injected and none is garbled."""

import re

import pytest

from core.models import message_id_domain, new_message_id

MSG_ID = re.compile(r"^<[0-9a-f]{32}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*>$")


@pytest.mark.parametrize("configured, expected", [
    ("mail.ust.example", "mail.ust.example"),
    (" Mail.UST.example. ", "mail.ust.example"),
    ("포털.kr", "xn--wv7bl3c.kr"),
    ("evil.example>\r\nBcc: victim@example.org", "portal.invalid"),
    ("two words", "portal.invalid"),
    ("a@b.example", "portal.invalid"),
])
def test_the_configured_domain_gives_a_valid_message_id(settings, configured, expected):
    settings.MAIL_MESSAGE_ID_DOMAIN = configured

    assert message_id_domain() == expected
    assert MSG_ID.match(new_message_id())


@pytest.mark.parametrize("sender, expected", [
    ("UST Portal <no-reply@portal.ust.example>", "portal.ust.example"),
    ("UST 포털 <no-reply@포털.kr>", "xn--wv7bl3c.kr"),
    ("no-reply@evil.example\nBcc: x@y.example", "evil.example"),  # parseaddr keeps the address only
    ("no-reply", "portal.invalid"),
])
def test_the_senders_domain_gives_a_valid_message_id(settings, sender, expected):
    settings.MAIL_MESSAGE_ID_DOMAIN = ""
    settings.DEFAULT_FROM_EMAIL = sender

    assert message_id_domain() == expected
    assert MSG_ID.match(new_message_id())
