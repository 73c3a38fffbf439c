"""First sign-in and forgotten passwords: a set-password link to the address on record, telling nothing else."""

import html
import re

import pytest
from django.core import mail
from django.test import RequestFactory

from ..factories import StudentRecordFactory, TemporaryStudentIdFactory, UserFactory

URL = "/accounts/password/"
SAME_ANSWER = "If the user name and the e-mail address belong to the same account"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def home_student(db):
    """A home student imported from the student information system: no usable password yet."""
    user = UserFactory(username="S2024101", email="minji@univ.example", language="en")
    user.set_unusable_password()
    user.save()
    StudentRecordFactory(user=user, student_number="S2024101")
    return user


def _ask(client, username, email, capture):
    with capture(execute=True):
        return client.post(URL, {"username": username, "email": email}, follow=True)


def _link(message) -> str:
    return re.search(r"http://[^/]+(/accounts/set-password/\S+/)", message.body).group(1)


def test_a_home_student_sets_a_first_password_and_signs_in(client, home_student, django_capture_on_commit_callbacks):
    response = _ask(client, "s2024101", "MINJI@univ.example", django_capture_on_commit_callbacks)

    assert SAME_ANSWER in html.unescape(response.content.decode())
    assert [m.to for m in mail.outbox] == [["minji@univ.example"]]
    message = mail.outbox[0]
    assert message.subject == "[UST Portal] Set your password"
    assert "Your user name is your student number, S2024101." in message.body
    form_page = client.get(_link(message), follow=True)
    assert "Student number: S2024101" in html.unescape(form_page.content.decode())
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Blue-Lantern-Orbit-42",
                                                         "new_password2": "Blue-Lantern-Orbit-42"}, follow=True)
    assert done.context["user"] == home_student
    client.logout()
    # django-axes throttles by the request, so the log-in needs one.
    assert client.login(request=RequestFactory().post("/accounts/login/"), username="S2024101", password="Blue-Lantern-Orbit-42")


def test_an_exchange_student_gets_the_temporary_id_wording(client, db, django_capture_on_commit_callbacks):
    identity = TemporaryStudentIdFactory(student_id="T202700009", user__email="kim@hanbit.example", user__language="en")

    _ask(client, identity.user.username, "kim@hanbit.example", django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert f"Your temporary student ID is {identity.user.username}." in mail.outbox[0].body


@pytest.mark.parametrize("username, email", [
    ("S2024101", "someone-else@univ.example"),  # right user, wrong address
    ("S2099999", "minji@univ.example"),  # unknown user, an address that exists
])
def test_a_mismatch_gets_the_same_answer_and_no_mail(client, home_student, username, email, django_capture_on_commit_callbacks):
    response = _ask(client, username, email, django_capture_on_commit_callbacks)

    assert SAME_ANSWER in html.unescape(response.content.decode())
    assert mail.outbox == []


def test_an_inactive_account_gets_no_link(client, home_student, django_capture_on_commit_callbacks):
    home_student.is_active = False
    home_student.save()

    _ask(client, "S2024101", "minji@univ.example", django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_attempts_are_limited_per_connection(client, home_student, settings, django_capture_on_commit_callbacks):
    settings.LOOKUP_RATE_LIMIT = 2
    for _ in range(2):
        _ask(client, "S2099999", "x@univ.example", django_capture_on_commit_callbacks)

    response = _ask(client, "S2024101", "minji@univ.example", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Too many attempts from your connection" in html.unescape(response.content.decode())
    assert mail.outbox == []


def test_a_second_request_right_away_sends_no_second_mail(client, home_student, django_capture_on_commit_callbacks):
    for _ in range(2):
        _ask(client, "S2024101", "minji@univ.example", django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1


def test_the_login_page_links_to_it(client, db):
    assert URL in client.get("/accounts/login/").content.decode()


def test_a_password_set_as_the_account_is_deleted_does_not_bring_it_back(
    client, home_student, monkeypatch, django_capture_on_commit_callbacks
):
    """A revoked temporary ID deletes its account; a set-password form submitted in that instant held the account
    read before the delete, and Django's full save would have inserted it again (a password, no ID)."""
    from accounts.models import User
    from accounts.views import SetPasswordView

    _ask(client, "S2024101", "minji@univ.example", django_capture_on_commit_callbacks)
    form_page = client.get(_link(mail.outbox[0]), follow=True)
    stale = User.objects.get(pk=home_student.pk)
    monkeypatch.setattr(SetPasswordView, "get_user", lambda self, uidb64: stale)  # read before the delete
    home_student.student_record.delete()
    User.objects.filter(pk=home_student.pk).delete()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Blue-Lantern-Orbit-42",
                                                         "new_password2": "Blue-Lantern-Orbit-42"}, follow=True)
    assert not User.objects.filter(pk=home_student.pk).exists()
    assert "no password was set" in html.unescape(done.content.decode())
