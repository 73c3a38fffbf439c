"""Control and hiding characters typed into a form are removed on input, in every form (issue 12, finding 9):
the public application form, the profile form, an admin ModelForm; passwords are kept as typed; what is left
empty gets a message, not a 500."""

import unicodedata

import pytest
from django import forms
from django.contrib.auth.forms import SetPasswordForm

from academics.models import College
from core.text import clean_typed
from creditexchange.models import TemporaryIdApplication

from ..factories import TemporaryStudentIdFactory

HIDDEN = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: shows "김하늘" reversed around it
NUL = "\x00"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def student(db):
    return TemporaryStudentIdFactory(student_id="T202700001", user__phone="010-2222-3333").user


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


class TestCleanTyped:
    def test_it_removes_controls_and_hiding_characters_and_normalises_a_single_line(self):
        decomposed = unicodedata.normalize("NFD", "김하늘")
        assert clean_typed(f" 김{HIDDEN}하늘{NUL}\u200b\u2066\ufeff\x85 ") == "김하늘"
        assert clean_typed(decomposed) == "김하늘" and len(decomposed) > 3
        assert clean_typed("a\tb\nc") == "abc"

    def test_a_multi_line_value_keeps_its_lines_tabs_and_markup(self):
        source = "<p>첫 줄\r\n\t둘째\u202d 줄</p>\r<p>셋\x07째</p>\n"
        assert clean_typed(source, multiline=True) == "<p>첫 줄\n\t둘째 줄</p>\n<p>셋째</p>\n"
        decomposed = unicodedata.normalize("NFD", "<b>한글</b>")
        assert clean_typed(decomposed, multiline=True) == decomposed  # only the characters above go


def _apply(client, application_data, **overrides):
    data = {
        "term": application_data["term"].pk, "partner": application_data["partner"].pk,
        "home_student_number": application_data["home_student_number"], "name_ko": application_data["name_ko"],
        "name_latin": application_data["name_latin"], "date_of_birth": application_data["date_of_birth"].isoformat(),
        "email": application_data["email"], "phone": application_data["phone"],
        "home_department": application_data["home_department"], "degree_level": application_data["degree_level"],
        "consent": "on", **overrides,
    }
    return client.post("/credit-exchange/apply/", data)


def test_the_application_form_stores_a_korean_name_without_the_override_and_the_nul(
    client, application_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(client, application_data, name_ko=f"김{HIDDEN}하늘{NUL}", name_latin=f"KIM\u200b HANEUL{NUL}",
                          home_department=f"컴퓨터{HIDDEN}공학과")

    assert response.status_code == 302
    application = TemporaryIdApplication.objects.get()
    assert (application.name_ko, application.name_latin, application.home_department) == ("김하늘", "KIM HANEUL", "컴퓨터공학과")


def test_a_name_of_only_invisible_characters_gets_a_message_not_a_500(client, application_data):
    response = _apply(client, application_data, name_ko=f"{HIDDEN}{NUL}\u200b", name_latin="")

    assert response.status_code == 200
    assert "only invisible or control characters" in response.content.decode()
    assert not TemporaryIdApplication.objects.exists()


def test_the_profile_form_stores_the_phone_number_clean(student_client, student):
    response = student_client.post("/accounts/profile/", {
        "save_profile": "", "phone": f"010-9999{HIDDEN}-8888{NUL}", "language": "en"})

    assert response.status_code == 302
    student.refresh_from_db()
    assert student.phone == "010-9999-8888"


def test_an_admin_model_form_stores_the_name_clean(admin_client):
    response = admin_client.post("/admin/academics/college/add/", {
        "code": f"eng{NUL}", "name_ko": f"공과{HIDDEN}대학{NUL}", "name_en": f"Engineering\u200b{NUL}"})

    assert response.status_code == 302, response.content.decode()[:3000]
    college = College.objects.get()
    assert (college.code, college.name_ko, college.name_en) == ("eng", "공과대학", "Engineering")


@pytest.mark.parametrize(("language", "message"), [
    ("en", "only invisible or control characters"), ("ko", "보이지 않는 문자나 제어 문자만 있습니다")])
def test_an_admin_field_left_empty_by_the_cleaning_says_so(client, admin_user, language, message):
    admin_user.language = language  # the staff member's own language (taken at sign-in) wins over the browser's
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language

    response = client.post("/admin/academics/college/add/", {"code": "eng", "name_ko": HIDDEN, "name_en": "E"})

    assert response.status_code == 200 and message in response.content.decode()
    assert not College.objects.exists()


def test_a_password_is_kept_exactly_as_typed_and_a_nul_in_it_refused(student):
    password = "Sejong\x01\u202e-long-enough-2026"
    form = SetPasswordForm(student, {"new_password1": password, "new_password2": password})
    with_nul = SetPasswordForm(student, {"new_password1": f"{password}{NUL}", "new_password2": f"{password}{NUL}"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["new_password1"] == password
    assert not with_nul.is_valid() and "Null characters are not allowed." in with_nul.errors["new_password1"]


def test_a_json_field_is_data_not_typed_text():
    class Form(forms.Form):
        data = forms.JSONField()

    form = Form({"data": '{"a": "b\\u0000"}'})
    assert form.is_valid() and form.cleaned_data["data"] == {"a": "b\x00"}


def test_the_joiners_a_persian_or_indic_name_needs_are_kept():
    persian = "\u0645\u06cc\u200c\u0631\u0648\u062f"  # "می‌رود": the ZWNJ is part of the spelling
    assert clean_typed(persian) == persian
    assert clean_typed("\u0915\u094d\u200d\u0937") == "\u0915\u094d\u200d\u0937"  # Devanagari with a ZWJ
