import pytest
from django.core import mail

from accounts import services
from core.errors import DomainError, InvalidLink, RateLimited
from tests.factories import UserFactory


def test_email_change_needs_the_link_sent_to_the_new_address(db, django_capture_on_commit_callbacks):
    user = UserFactory(email="old@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.email_change_request(user=user, new_email="new@example.com", password="correct-horse-battery")
    user.refresh_from_db()
    assert user.email == "old@example.com"
    assert mail.outbox[0].to == ["new@example.com"]

    token = services.email_change_token(user=user, new_email="new@example.com")
    assert services.email_change_confirm(token=token).email == "new@example.com"
    with pytest.raises(InvalidLink):
        services.email_change_confirm(token=token)


def test_email_change_refuses_the_same_address_and_rapid_repeats(db):
    user = UserFactory(email="same@example.com")
    with pytest.raises(DomainError):
        services.email_change_request(user=user, new_email="SAME@example.com", password="correct-horse-battery")
    services.email_change_request(user=user, new_email="a@example.com", password="correct-horse-battery")
    with pytest.raises(RateLimited):
        services.email_change_request(user=user, new_email="b@example.com", password="correct-horse-battery")


def test_a_tampered_email_change_link_is_refused(db):
    user = UserFactory(email="old@example.com")
    token = services.email_change_token(user=user, new_email="evil@example.com")
    with pytest.raises(InvalidLink, match="not valid"):
        services.email_change_confirm(token=token.replace(":", ":x", 1))
    user.refresh_from_db()
    assert user.email == "old@example.com"


def test_profile_update_changes_phone_and_language(db):
    user = UserFactory(phone="010-0000-0000")
    services.profile_update(user=user, phone="010-1111-2222", language="en")
    user.refresh_from_db()
    assert (user.phone, user.language) == ("010-1111-2222", "en")


def test_password_links_are_throttled_per_account(db, django_capture_on_commit_callbacks):
    user = UserFactory(email="p@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.password_link_request(user=user)
        assert not services.password_link_request(user=user)
    assert len(mail.outbox) == 1


def test_an_email_change_link_stays_void_after_the_address_is_changed_back(db):
    # A → B, then B → A: the first link (old address A) must not switch the account to B again.
    user = UserFactory(email="a@example.com")
    to_b = services.email_change_token(user=user, new_email="b@example.com")
    user = services.email_change_confirm(token=to_b)
    back_to_a = services.email_change_token(user=user, new_email="a@example.com")
    user = services.email_change_confirm(token=back_to_a)
    assert user.email == "a@example.com"

    with pytest.raises(InvalidLink, match="already been used"):
        services.email_change_confirm(token=to_b)
    user.refresh_from_db()
    assert user.email == "a@example.com"


def test_a_pending_email_change_link_is_void_once_another_change_is_confirmed(db):
    user = UserFactory(email="a@example.com")
    to_b = services.email_change_token(user=user, new_email="b@example.com")
    to_c = services.email_change_token(user=user, new_email="c@example.com")
    services.email_change_confirm(token=to_c)

    with pytest.raises(InvalidLink):
        services.email_change_confirm(token=to_b)
    user.refresh_from_db()
    assert user.email == "c@example.com"
