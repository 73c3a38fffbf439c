"""Admin addresses from before the kernel (issue 13) lead to the same page under /admin/core/."""

import pytest

from core.models import BulkAction, OutgoingMail

from ..factories import UserFactory


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize(("old", "new"), [
    ("/admin/ustportal/outgoingmail/", "/admin/core/outgoingmail/"),
    ("/admin/ustportal/bulkaction/", "/admin/core/bulkaction/"),
    ("/admin/ustportal/personaldataaccess/", "/admin/core/personaldataaccess/"),
    ("/admin/ustportal/personaldataaccess/retention/", "/admin/core/personaldataaccess/retention/"),
    ("/admin/staffdesk/staffjob/", "/admin/core/staffjob/"),
])
def test_a_moved_models_admin_page_redirects_to_the_same_page_under_core(superuser_client, old, new):
    response = superuser_client.get(old)

    assert response.status_code == 302  # not 301: a browser would keep that for good
    assert response["Location"] == new
    assert superuser_client.get(new).status_code == 200


def test_the_rest_of_the_path_and_the_query_string_are_kept(superuser_client):
    mail = OutgoingMail.objects.create(kind="set_password", to="a@example.org")
    action = BulkAction.objects.create(kind="demo", scope="x")

    response = superuser_client.get(f"/admin/ustportal/outgoingmail/{mail.pk}/change/", {"_changelist_filters": "status=failed"})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/core/outgoingmail/{mail.pk}/change/?_changelist_filters=status%3Dfailed"
    assert superuser_client.get(response["Location"]).status_code == 200

    response = superuser_client.get("/admin/ustportal/bulkaction/", {"q": "demo", "o": "1"})
    assert response["Location"] == "/admin/core/bulkaction/?q=demo&o=1"
    assert superuser_client.get(f"/admin/ustportal/bulkaction/{action.pk}/history/")["Location"] == (
        f"/admin/core/bulkaction/{action.pk}/history/"
    )


def test_an_anonymous_visitor_still_ends_at_the_admin_login(client, db):
    response = client.get("/admin/ustportal/outgoingmail/?status=failed", follow=True)

    assert [status for _url, status in response.redirect_chain] == [302, 302]
    assert response.redirect_chain[0][0] == "/admin/core/outgoingmail/?status=failed"
    assert response.redirect_chain[-1][0].startswith("/admin/login/?next=/admin/core/outgoingmail/")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/admin/ustportal/", "/admin/ustportal/retention/", "/admin/staffdesk/",
                                  "/admin/staffdesk/figure/", "/admin/ustportal/outgoingmailx/"])
def test_nothing_else_under_the_old_prefixes_is_redirected(superuser_client, path):
    response = superuser_client.get(path)

    assert response.status_code == 404


def test_the_current_admin_addresses_are_untouched(superuser_client):
    assert superuser_client.get("/admin/core/outgoingmail/").status_code == 200
    assert superuser_client.get("/admin/").status_code == 200
