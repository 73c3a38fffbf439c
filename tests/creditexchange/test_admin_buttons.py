from django.contrib.auth.models import Permission

from creditexchange.models import TemporaryIdApplication
from tests.factories import UserFactory

Status = TemporaryIdApplication.Status


def _post_button(client, application, button, **extra):
    url = f"/admin/creditexchange/temporaryidapplication/{application.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management[name].html_name: management[name].value() for name in management.fields})
    data.update({button: "1", **extra})
    return client.post(url, data)


def test_it_approves_issues_one_application_from_its_page(registrar_client, confirmed_application):
    response = _post_button(registrar_client, confirmed_application, "_approve")
    assert response.status_code == 302
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.APPROVED

    _post_button(registrar_client, confirmed_application, "_issue")
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.ISSUED


def test_rejecting_from_the_page_without_a_reason_changes_nothing(registrar_client, confirmed_application):
    response = _post_button(registrar_client, confirmed_application, "_reject", _reason="")
    assert response.status_code == 302
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.CONFIRMED

    _post_button(registrar_client, confirmed_application, "_reject", _reason="No agreement for graduate students")
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.REJECTED
    assert confirmed_application.rejection_reason == "No agreement for graduate students"


def test_staff_without_the_approve_permission_cannot_use_the_buttons(client, confirmed_application):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_temporaryidapplication"),
        Permission.objects.get(codename="change_temporaryidapplication"),
    )
    client.force_login(viewer)
    response = _post_button(client, confirmed_application, "_approve")
    assert response.status_code == 403
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.CONFIRMED
