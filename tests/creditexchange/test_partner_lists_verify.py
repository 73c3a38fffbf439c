"""The coordinator's signed link (scope, expiry, tampering, isolation), answers with time and IP, no-credit marks,
and the staff pages for lists (SPEC §3.3)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.utils import timezone
from django.utils.formats import date_format

from core.errors import InvalidLink, NotEligible, WindowClosed
from core.models import StaffJob
from creditexchange import services
from creditexchange.models import PartnerList, Recommendation, RecommendationEvent
from creditexchange.services.recommendations import VERIFY_SALT

from ..factories import UserFactory
from .partner_list_helpers import send

Kind = PartnerList.Kind


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _url(partner_list: PartnerList) -> str:
    return f"/credit-exchange/verify/{services.partner_list_token(partner_list)}/"


def _line(partner_list: PartnerList, number: str) -> Recommendation:
    return partner_list.recommendations.get(application__home_student_number=number)


# --- Token --------------------------------------------------------------------------------------------------------


def test_a_token_opens_its_own_list(scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    assert services.partner_list_open(token=services.partner_list_token(partner_list)) == partner_list


def test_a_tampered_token_is_refused(scene):
    token = services.partner_list_token(send(scene, scene.hanbit, Kind.APPLICANTS))
    payload, rest = token.split(":", 1)
    forged = signing.b64_encode(b'{"list":2,"partner":2}').decode() + ":" + rest

    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense"):
        with pytest.raises(InvalidLink) as info:
            services.partner_list_open(token=bad)
        assert info.value.code == "bad"


def test_a_token_for_a_list_of_another_partner_is_refused(scene):
    garam_list = send(scene, scene.garam, Kind.FINAL)
    # Correctly signed (as if leaked or mis-built) but naming Hanbit for Garam's list.
    token = signing.dumps(
        {"list": garam_list.pk, "partner": scene.hanbit.pk, "exp": int(garam_list.deadline.timestamp())}, salt=VERIFY_SALT
    )

    with pytest.raises(InvalidLink) as info:
        services.partner_list_open(token=token)
    assert info.value.code == "scope"


def test_a_token_from_another_salt_is_refused(scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    token = signing.dumps({"list": partner_list.pk, "partner": scene.hanbit.pk}, salt="creditexchange.application-confirm")

    with pytest.raises(InvalidLink):
        services.partner_list_open(token=token)


# --- The page ---------------------------------------------------------------------------------------------------------


def test_the_page_shows_only_that_lists_students(client, scene):
    hanbit_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    send(scene, scene.garam, Kind.FINAL)

    response = client.get(_url(hanbit_list))

    assert response.status_code == 200
    content = response.content.decode()
    assert "H001" in content and "H003" in content
    assert "G001" not in content and "G002" not in content
    assert "0 of 3 students answered" in content
    # Not "no-referrer": Chromium would then post the form with `Origin: null` and fail the CSRF check.
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_tampered_link_gets_a_clear_refusal_page(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    response = client.get(_url(partner_list)[:-5] + "XXXX/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert "H001" not in response.content.decode()


def test_the_coordinator_marks_students_and_the_answer_keeps_time_and_ip(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    one, two = _line(partner_list, "H001"), _line(partner_list, "H002")

    response = client.post(
        _url(partner_list),
        {f"decision-{one.pk}": "recommended", f"decision-{two.pk}": "not_recommended", f"comment-{two.pk}": "Not enrolled"},
        REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Coordinator browser",
    )

    assert response.status_code == 302
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.decision, two.decision, two.comment) == ("recommended", "not_recommended", "Not enrolled")
    assert two.decided_ip == "198.51.100.7" and two.source == "coordinator" and two.decided_at is not None
    event = two.events.get()
    assert (event.from_decision, event.to_decision, event.ip, event.user_agent, event.actor) == (
        "pending", "not_recommended", "198.51.100.7", "Coordinator browser", None)
    assert "2 of 3 students answered" in client.get(_url(partner_list)).content.decode()


def test_the_coordinator_can_revise_until_the_deadline(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    line = _line(partner_list, "H001")
    client.post(_url(partner_list), {f"decision-{line.pk}": "not_recommended"})

    client.post(_url(partner_list), {f"decision-{line.pk}": "recommended", f"comment-{line.pk}": "Sorted out"})

    line.refresh_from_db()
    assert (line.decision, line.comment) == ("recommended", "Sorted out")
    assert list(line.events.values_list("from_decision", "to_decision")) == [
        ("pending", "not_recommended"), ("not_recommended", "recommended")]


def test_an_unchanged_answer_writes_no_event(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    line = _line(partner_list, "H001")
    client.post(_url(partner_list), {f"decision-{line.pk}": "recommended"})
    client.post(_url(partner_list), {f"decision-{line.pk}": "recommended"})

    assert line.events.count() == 1


def test_after_the_deadline_the_page_shows_only_that_it_is_closed_and_refuses_answers(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS, at=timezone.now() - timedelta(days=30))
    line = _line(partner_list, "H001")

    page = client.get(_url(partner_list))
    assert page.status_code == 200
    assert "This list is closed." in page.content.decode()
    assert f'name="decision-{line.pk}"' not in page.content.decode() and "H001" not in page.content.decode()

    response = client.post(_url(partner_list), {f"decision-{line.pk}": "not_recommended"})
    assert response.status_code == 403
    assert "Nothing was changed" in response.content.decode()
    line.refresh_from_db()
    assert line.decision == "pending" and not RecommendationEvent.objects.exists()


def test_the_deadline_is_exclusive(scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    line = _line(partner_list, "H001")

    services.recommendations_submit(
        partner_list_id=partner_list.pk, decisions={line.pk: ("recommended", "")}, ip=None,
        at=partner_list.deadline - timedelta(microseconds=1),
    )
    with pytest.raises(WindowClosed):
        services.recommendations_submit(
            partner_list_id=partner_list.pk, decisions={line.pk: ("not_recommended", "")}, ip=None, at=partner_list.deadline,
        )


def test_an_answer_for_a_student_of_another_list_is_refused_and_nothing_is_saved(client, scene):
    hanbit_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    garam_list = send(scene, scene.garam, Kind.FINAL)
    mine, theirs = _line(hanbit_list, "H001"), _line(garam_list, "G001")

    response = client.post(
        _url(hanbit_list), {f"decision-{mine.pk}": "recommended", f"decision-{theirs.pk}": "not_recommended"}
    )

    assert response.status_code == 403
    assert "not on this list" in response.content.decode()
    assert set(Recommendation.objects.values_list("decision", flat=True)) == {"pending"}


def test_the_service_refuses_foreign_lines_too(scene):
    hanbit_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    theirs = _line(send(scene, scene.garam, Kind.FINAL), "G001")

    with pytest.raises(NotEligible):
        services.recommendations_submit(partner_list_id=hanbit_list.pk, decisions={theirs.pk: ("recommended", "")}, ip=None)


@pytest.mark.parametrize("value", ["pending", "yes", ""])
def test_a_malformed_answer_is_refused(client, scene, value):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    line = _line(partner_list, "H001")

    response = client.post(_url(partner_list), {f"decision-{line.pk}": value})

    assert response.status_code == 400
    line.refresh_from_db()
    assert line.decision == "pending"


def test_a_comment_without_a_decision_is_refused(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    line = _line(partner_list, "H001")

    response = client.post(_url(partner_list), {f"comment-{line.pk}": "Hmm"})

    assert response.status_code == 400
    assert "every student you comment on" in response.content.decode()


# --- No credit -------------------------------------------------------------------------------------------------------


def test_my_registrations_shows_the_no_credit_mark_after_a_not_recommended_answer(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    client.force_login(scene.han1)
    url = f"/credit-exchange/registrations/?term={scene.term.pk}"
    assert "No credit" not in client.get(url).content.decode()

    services.recommendations_submit(
        partner_list_id=partner_list.pk, decisions={_line(partner_list, "H001").pk: ("not_recommended", "")}, ip=None,
    )

    content = client.get(url).content.decode()
    assert 'id="no-credit"' in content and content.count("no-credit-mark") == 2  # both courses
    client.force_login(scene.han2)
    assert "no-credit-mark" not in client.get(url).content.decode()


def test_the_registration_admin_shows_the_no_credit_mark(registrar_client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    services.recommendations_submit(
        partner_list_id=partner_list.pk, decisions={_line(partner_list, "H001").pk: ("not_recommended", "")}, ip=None,
    )

    response = registrar_client.get("/admin/creditexchange/courseregistration/")

    assert response.status_code == 200
    marks = {r.student_id: r.partner_decision for r in response.context["cl"].result_list}
    assert marks[scene.han1.pk] == "not_recommended" and marks[scene.han2.pk] is None
    assert response.content.decode().count("No credit (not recommended)") == 2


# --- Staff pages -------------------------------------------------------------------------------------------------------


def test_the_term_overview_shows_who_got_which_list_and_how_far_they_answered(registrar_client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    services.recommendations_submit(
        partner_list_id=partner_list.pk, decisions={_line(partner_list, "H001").pk: ("recommended", "")}, ip=None,
    )

    response = registrar_client.get(f"/admin/creditexchange/partnerlist/term/{scene.term.pk}/")

    assert response.status_code == 200
    rows = {row.partner.code: {c.kind: c for c in row.cells} for row in response.context["rows"]}
    applicants = rows["hanbit"]["applicants"]
    assert (applicants.partner_list, applicants.answered, applicants.total) == (partner_list, 1, 3)
    assert rows["hanbit"]["registrations"].applies is False
    assert rows["garam"]["registrations"].partner_list is None and rows["garam"]["registrations"].eligible == 1
    content = response.content.decode()
    assert "1 of 3 answered" in content and "exchange@hanbit.example, kim@hanbit.example" in content


def test_the_term_overview_costs_the_same_queries_whatever_the_number_of_partners(scene):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from creditexchange.selectors_lists import partner_list_overview

    from ..factories import issued_student, partner_with_contacts

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            partner_list_overview(term=scene.term)
        return len(captured)

    before = queries()
    for code in ("nara", "dasom", "bora"):
        issued_student(scene.term, partner_with_contacts(code, f"x@{code}.example"))
    rows = {row.partner.code: {c.kind: c for c in row.cells} for row in partner_list_overview(term=scene.term)}

    assert queries() == before
    assert rows["nara"]["final"].eligible == 1 and rows["garam"]["registrations"].eligible == 1
    assert rows["hanbit"]["applicants"].eligible == 3 and rows["garam"]["final"].eligible == 2


def test_staff_send_a_list_now_from_the_admin(registrar_client, registrar, scene, django_capture_on_commit_callbacks):
    data = {"partner": scene.garam.pk, "term": scene.term.pk, "kind": "registrations"}
    preview = registrar_client.post("/admin/creditexchange/partnerlist/send/", data)  # issue 12: the preview first
    assert preview.status_code == 200 and not PartnerList.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = registrar_client.post(
            "/admin/creditexchange/partnerlist/send/",
            {**data, "confirm": "1", "fingerprint": preview.context["preview"].fingerprint},
        )

    assert response.status_code == 302
    job = StaffJob.objects.get()
    assert response["Location"] == f"/staff/jobs/{job.pk}/"
    partner_list = PartnerList.objects.get()
    assert (partner_list.partner, partner_list.sent_by, partner_list.trigger) == (scene.garam, registrar, "staff")
    assert (job.kind, job.status, job.done, job.total) == ("partner_list_send", "done", 1, 1)
    assert job.report["list_id"] == partner_list.pk and job.report["recipients"] == partner_list.recipients
    page = registrar_client.get(response["Location"])
    assert job.summary in page.content.decode()
    assert f"/admin/creditexchange/partnerlist/term/{scene.term.pk}/" in page.content.decode()

    again = registrar_client.post(
        "/admin/creditexchange/partnerlist/send/", {"partner": scene.garam.pk, "term": scene.term.pk, "kind": "registrations"},
    )
    assert again.status_code == 200 and "already sent" in again.content.decode()
    assert PartnerList.objects.count() == 1


def test_the_list_pages_are_read_only_and_offer_the_files(registrar_client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    changelist = registrar_client.get("/admin/creditexchange/partnerlist/")
    assert changelist.status_code == 200 and "0 of 3" in changelist.content.decode()

    page = registrar_client.get(f"/admin/creditexchange/partnerlist/{partner_list.pk}/change/")
    assert page.status_code == 200
    assert registrar_client.post(f"/admin/creditexchange/partnerlist/{partner_list.pk}/change/", {}).status_code == 403
    assert registrar_client.get(f"/admin/creditexchange/partnerlist/{partner_list.pk}/delete/").status_code == 403

    stored = partner_list.files.get(filename__endswith=".csv")
    download = registrar_client.get(f"/admin/creditexchange/partnerlist/{partner_list.pk}/files/{stored.pk}/")
    assert download.status_code == 200 and download.content == bytes(stored.content)
    assert stored.filename in download["Content-Disposition"]


def test_staff_record_a_recommendation_from_the_application_admin(registrar_client, registrar, scene):
    application = scene.application(scene.garam_idle)

    response = registrar_client.post("/admin/creditexchange/temporaryidapplication/", {
        "action": "record_recommendation", "_selected_action": [application.pk], "apply": "1",
        "decision": "not_recommended", "source_note": "letter of 4 March", "comment": "",
    })

    assert response.status_code == 302
    recommendation = Recommendation.objects.get(application=application)
    assert (recommendation.decision, recommendation.source, recommendation.decided_by) == ("not_recommended", "staff", registrar)


def test_the_record_action_asks_for_the_source_first(registrar_client, scene):
    application = scene.application(scene.garam_idle)

    response = registrar_client.post("/admin/creditexchange/temporaryidapplication/", {
        "action": "record_recommendation", "_selected_action": [application.pk],
    })

    assert response.status_code == 200
    assert "source_note" in response.content.decode()
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/admin/creditexchange/partnerlist/term/", "/admin/creditexchange/partnerlist/send/", "/admin/creditexchange/partnerlist/"],
)
def test_staff_without_the_registrar_role_are_refused(client, scene, url):
    client.force_login(UserFactory(username="clerk", is_staff=True))

    assert client.get(url).status_code == 403


def test_a_non_staff_user_is_sent_to_the_admin_login(outsider_client, scene):
    response = outsider_client.get("/admin/creditexchange/partnerlist/term/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_who_may_view_but_not_send_get_no_send_page(client, scene):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_partnerlist"))
    client.force_login(viewer)

    overview = client.get(f"/admin/creditexchange/partnerlist/term/{scene.term.pk}/")
    assert overview.status_code == 200 and overview.context["can_send"] is False
    assert "Send now" not in overview.content.decode()
    assert client.get("/admin/creditexchange/partnerlist/send/").status_code == 403


def test_the_registrar_role_may_send_lists_and_record_answers(registrar):
    assert registrar.has_perm("creditexchange.send_partnerlist")
    assert registrar.has_perm("creditexchange.record_recommendation")
    assert Group.objects.get(name="registrar").permissions.filter(codename="view_recommendationevent").exists()


def test_every_new_admin_page_opens_for_the_registrar(registrar_client, registrar, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    services.recommendations_submit(
        partner_list_id=partner_list.pk, decisions={_line(partner_list, "H001").pk: ("recommended", "ok")}, ip="192.0.2.1",
    )
    line = _line(partner_list, "H001")
    urls = [
        "/admin/creditexchange/recommendation/", f"/admin/creditexchange/recommendation/{line.pk}/change/",
        "/admin/creditexchange/recommendationevent/",
        f"/admin/creditexchange/recommendationevent/{line.events.get().pk}/change/",
        "/admin/creditexchange/partnerlistfile/", f"/admin/creditexchange/partnerlistfile/{partner_list.files.first().pk}/change/",
        "/admin/creditexchange/partnerlist/send/", "/admin/creditexchange/partnerlist/term/",
    ]
    for url in urls:
        assert registrar_client.get(url).status_code == 200, url
    assert registrar_client.get("/admin/creditexchange/recommendation/add/").status_code == 403


def test_staff_record_from_the_recommendation_admin(registrar_client, registrar, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    line = _line(partner_list, "H002")

    response = registrar_client.post("/admin/creditexchange/recommendation/", {
        "action": "record_selected", "_selected_action": [line.pk], "apply": "1",
        "decision": "recommended", "source_note": "phone call", "comment": "confirmed by phone",
    })

    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.decision, line.source, line.source_note, line.decided_by) == ("recommended", "staff", "phone call", registrar)


# --- Recommend all, what is left, and answers carried from earlier lists (issue 11) --------------------------------


def test_it_recommends_every_student_not_answered_in_this_submission(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    one, two, three = (_line(partner_list, number) for number in ("H001", "H002", "H003"))

    response = client.post(
        _url(partner_list),
        {"recommend_all": "1", f"decision-{two.pk}": "not_recommended", f"comment-{two.pk}": "On leave"},
        follow=True,
    )

    assert response.status_code == 200
    decisions = {line.pk: (line.decision, line.comment) for line in partner_list.recommendations.all()}
    assert decisions == {
        one.pk: ("recommended", ""), two.pk: ("not_recommended", "On leave"), three.pk: ("recommended", ""),
    }
    assert "Saved: 2 recommended, 1 not recommended, 0 unanswered." in response.content.decode()


def test_it_recommends_all_even_when_nothing_else_is_marked(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    response = client.post(_url(partner_list), {"recommend_all": "1"})

    assert response.status_code == 302
    assert set(partner_list.recommendations.values_list("decision", flat=True)) == {"recommended"}


def test_it_keeps_an_earlier_answer_that_recommend_all_did_not_repeat(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    one = _line(partner_list, "H001")
    client.post(_url(partner_list), {f"decision-{one.pk}": "not_recommended"})

    client.post(_url(partner_list), {"recommend_all": "1"})

    one.refresh_from_db()
    assert one.decision == "not_recommended"
    assert partner_list.recommendations.filter(decision="recommended").count() == 2


def test_it_says_what_was_saved_and_what_is_still_unanswered(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    one = _line(partner_list, "H001")
    assert "3 still unanswered" in client.get(_url(partner_list)).content.decode()

    response = client.post(_url(partner_list), {f"decision-{one.pk}": "recommended"}, follow=True)

    content = response.content.decode()
    assert "Saved: 1 recommended, 0 not recommended, 2 unanswered." in content
    assert "2 still unanswered" in content


def test_it_refuses_recommend_all_with_a_bad_field_and_saves_nothing(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    response = client.post(_url(partner_list), {"recommend_all": "1", "decision-abc": "recommended"})

    assert response.status_code == 400
    assert not partner_list.recommendations.exclude(decision="pending").exists()


def _answer_applicants(client, scene) -> PartnerList:
    applicants = send(scene, scene.hanbit, Kind.APPLICANTS, at=timezone.now() - timedelta(days=1))
    one, two = _line(applicants, "H001"), _line(applicants, "H002")
    services.recommendations_submit(
        partner_list_id=applicants.pk, ip="198.51.100.7", deadline=applicants.deadline,
        decisions={one.pk: ("recommended", ""), two.pk: ("not_recommended", "Left the programme")},
    )
    return applicants


def test_it_prefills_the_final_list_with_the_answers_given_on_earlier_lists(client, scene):
    applicants = _answer_applicants(client, scene)
    final = send(scene, scene.hanbit, Kind.FINAL)
    one, two = _line(final, "H001"), _line(final, "H002")

    content = client.get(_url(final)).content.decode()

    assert f'id="yes-{one.pk}" value="recommended" checked' in content
    assert f'id="no-{two.pk}" value="not_recommended" checked' in content
    assert "Left the programme" in content
    day = date_format(timezone.localtime(applicants.sent_at), "DATE_FORMAT")
    assert content.count(f"from the applicants list of {day}") == 2
    assert "2 of 2 students answered" in content and "0 still unanswered" in content


def test_it_saves_the_prefilled_answers_on_the_final_list(client, scene):
    _answer_applicants(client, scene)
    final = send(scene, scene.hanbit, Kind.FINAL)
    one, two = _line(final, "H001"), _line(final, "H002")

    response = client.post(_url(final), {f"decision-{one.pk}": "recommended", f"decision-{two.pk}": "recommended"})

    assert response.status_code == 302
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.decision, two.decision) == ("recommended", "recommended")


def test_it_counts_earlier_answers_on_the_staff_overview_the_same_way(registrar_client, client, scene):
    from creditexchange.selectors_lists import partner_list_overview

    _answer_applicants(client, scene)
    final = send(scene, scene.hanbit, Kind.FINAL)

    row = next(row for row in partner_list_overview(term=scene.term) if row.partner == scene.hanbit)
    cell = next(cell for cell in row.cells if cell.kind == Kind.FINAL)

    assert (cell.partner_list, cell.answered, cell.total) == (final, 2, 2)


def test_the_admin_list_of_partner_lists_counts_earlier_answers_the_same_way(registrar_client, client, scene):
    _answer_applicants(client, scene)
    final = send(scene, scene.hanbit, Kind.FINAL)

    response = registrar_client.get("/admin/creditexchange/partnerlist/", HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    row = next(chunk for chunk in content.split("<tr") if f"/admin/creditexchange/partnerlist/{final.pk}/change/" in chunk)

    assert "2 of 2" in row
