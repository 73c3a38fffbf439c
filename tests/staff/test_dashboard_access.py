"""The dashboard is for staff only, and each section only for the roles whose permissions allow it."""

import pytest

SECTIONS = {"applications", "registrations", "recommendations", "affiliation", "grades"}
CREDIT_EXCHANGE = {"applications", "registrations", "recommendations", "grades"}


def _sections(response) -> set[str]:
    return {section.key for section in response.context["sections"]}


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, scene):
    response = client.get("/staff/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/staff/")


def test_an_outsider_is_refused(outsider_client, scene):
    assert outsider_client.get("/staff/").status_code == 403
    assert outsider_client.get("/staff/", {"term": scene.term.pk, "figure": "applications_by_status", "format": "csv"}).status_code == 403


def test_the_superuser_sees_every_section(client, superuser, scene):
    client.force_login(superuser)

    assert _sections(client.get("/staff/")) == SECTIONS


def test_the_registrar_sees_credit_exchange_but_not_affiliation(registrar_client, scene):
    response = registrar_client.get("/staff/", {"term": scene.term.pk})

    assert _sections(response) == CREDIT_EXCHANGE
    text = response.content.decode()
    assert "Computer Science" not in text and "affiliation_by_department" not in text
    download = registrar_client.get("/staff/", {"term": scene.term.pk, "figure": "affiliation_by_department", "format": "csv"})
    assert download.status_code == 403
    allowed = registrar_client.get("/staff/", {"term": scene.term.pk, "figure": "registrations_by_offering", "format": "csv"})
    assert allowed.status_code == 200


def test_the_committee_sees_affiliation_but_not_credit_exchange(client, committee, scene):
    client.force_login(committee)

    response = client.get("/staff/", {"term": scene.term.pk})

    assert _sections(response) == {"affiliation"}
    text = response.content.decode()
    assert "Hanbit University" not in text and "CSE101" not in text
    for key in ("applications_by_status", "applications_by_partner", "registrations_by_offering", "recommendations_by_partner"):
        assert client.get("/staff/", {"term": scene.term.pk, "figure": key, "format": "xlsx"}).status_code == 403, key


def test_staff_without_a_role_see_no_figures(client, clerk, scene):
    client.force_login(clerk)

    response = client.get("/staff/", {"term": scene.term.pk})

    assert response.status_code == 200 and _sections(response) == set()
    assert "Your role gives you no figures to see here." in response.content.decode()


@pytest.mark.parametrize("params", [
    {"term": "999999"}, {"term": "x"}, {"figure": "applications_by_status", "format": "pdf"},
    {"figure": "nothing", "format": "csv"}, {"format": "csv"},
])
def test_unknown_terms_figures_and_formats_are_not_found(client, superuser, scene, params):
    client.force_login(superuser)

    assert client.get("/staff/", params).status_code == 404


def test_the_admin_index_and_the_menu_link_to_the_dashboard(client, registrar, outsider, scene):
    client.force_login(registrar)
    assert 'href="/staff/"' in client.get("/admin/").content.decode()
    assert 'href="/staff/"' in client.get("/").content.decode()
    client.force_login(outsider)
    assert 'href="/staff/"' not in client.get("/").content.decode()
