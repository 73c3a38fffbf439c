"""Rotating SECRET_KEY (README → Security): with the old key as a fallback, what it signed still works."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing

from creditexchange.models import TemporaryIdApplication
from creditexchange.services.applications import confirmation_token
from creditexchange.services.confirmation import application_confirm

OLD, NEW = "old-key-" + "a" * 50, "new-key-" + "b" * 50


def test_it_accepts_a_link_signed_with_the_old_key_while_it_is_a_fallback(settings, submitted_application):
    settings.SECRET_KEY = OLD
    token = confirmation_token(submitted_application)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]

    application_confirm(token=token)

    submitted_application.refresh_from_db()
    assert submitted_application.status == TemporaryIdApplication.Status.CONFIRMED


def test_it_refuses_old_links_once_the_fallback_is_removed(settings, registrar):
    settings.SECRET_KEY = OLD
    signed = signing.dumps({"x": 1}, salt="rotation-test")
    reset = default_token_generator.make_token(registrar)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, []

    with pytest.raises(signing.BadSignature):
        signing.loads(signed, salt="rotation-test")
    assert not default_token_generator.check_token(registrar, reset)
    settings.SECRET_KEY_FALLBACKS = [OLD]
    assert signing.loads(signed, salt="rotation-test") == {"x": 1}
    assert default_token_generator.check_token(registrar, reset)
