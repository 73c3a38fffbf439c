"""Attacker review of the basket and the waitlist (issue 14): another student's entry or basket item, crafted ids,
a student of another term, staff paths. Through the services and through the pages a student can post to."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core.errors import CourseFull, NotEligible
from creditexchange import services
from creditexchange.models import BasketItem, CourseRegistration, WaitlistEvent
from creditexchange.services import basket as basket_service
from creditexchange.services import waitlist as waitlist_service

from ..factories import TermFactory, issued_student
from .waitlist_helpers import (
    IN_CHANGE,
    IN_OPENING,
    Status,
    assert_waitlists_consistent,
    build_term,
    drop,
    fresh,
    full_offering,
    join,
    offering_with,
    seoul,
)

HUGE_IDS = [0, 2**31, 2**63, 10**30]


@pytest.fixture(autouse=True)
def _invariants(db):
    yield
    assert_waitlists_consistent()


@pytest.fixture
def term(db):
    return build_term(mode="offer")


@pytest.fixture
def scene(term):
    """Victim holds an offer of a seat (claim until 3 March 10:00) and a basket item; the attacker is a student of
    the same term with an entry of their own."""
    offering, (holder,) = full_offering(term)
    victim, attacker = issued_student(term), issued_student(term)
    entry = join(victim, offering)
    own = join(attacker, offering)
    drop(holder)
    waitlist_service.waitlist_release(term=term, scheduled_for=seoul(3, 2, 17), at=seoul(3, 2, 17, 0, 1))
    item = basket_service.basket_add(student=victim, offering_id=offering_with(term).pk, at=IN_OPENING)
    return {"offering": offering, "victim": victim, "attacker": attacker, "entry": fresh(entry), "own": own, "item": item}


def _unchanged(scene):
    entry = fresh(scene["entry"])
    assert entry.status == Status.OFFERED
    assert WaitlistEvent.objects.filter(entry=entry).count() == 2  # joined, offered
    assert not CourseRegistration.objects.filter(student__in=[scene["victim"], scene["attacker"]]).exists()
    assert BasketItem.objects.filter(pk=scene["item"].pk).exists()


class TestAnotherStudentsIds:
    def test_leaving_or_declining_another_students_entry_is_not_found(self, scene):
        with pytest.raises(NotEligible) as refused:
            waitlist_service.waitlist_leave(student=scene["attacker"], entry_id=scene["entry"].pk)

        assert "does not exist" in str(refused.value.message)
        _unchanged(scene)

    def test_claiming_another_students_offer_is_not_found(self, scene):
        with pytest.raises(NotEligible) as refused:
            waitlist_service.waitlist_claim(student=scene["attacker"], entry_id=scene["entry"].pk, at=seoul(3, 2, 18))

        assert "does not exist" in str(refused.value.message)
        _unchanged(scene)

    def test_removing_another_students_basket_item_is_not_found(self, scene):
        with pytest.raises(NotEligible):
            basket_service.basket_remove(student=scene["attacker"], item_id=scene["item"].pk)

        _unchanged(scene)

    def test_the_same_refusal_for_another_students_id_and_for_no_id(self, scene):
        """No oracle: an existing entry of someone else reads exactly like one that never existed."""
        messages = []
        for entry_id in (scene["entry"].pk, 987654):
            with pytest.raises(NotEligible) as refused:
                waitlist_service.waitlist_leave(student=scene["attacker"], entry_id=entry_id)
            messages.append(str(refused.value.message))
        assert messages[0] == messages[1]

    @pytest.mark.parametrize("entry_id", HUGE_IDS)
    def test_crafted_ids_are_refused_as_not_found(self, scene, entry_id):
        for call in (
            lambda: waitlist_service.waitlist_leave(student=scene["attacker"], entry_id=entry_id),
            lambda: waitlist_service.waitlist_claim(student=scene["attacker"], entry_id=entry_id, at=seoul(3, 2, 18)),
            lambda: basket_service.basket_remove(student=scene["attacker"], item_id=entry_id),
            lambda: waitlist_service.waitlist_join(student=scene["attacker"], offering_id=entry_id, at=IN_CHANGE),
            lambda: basket_service.basket_add(student=scene["attacker"], offering_id=entry_id, at=IN_OPENING),
        ):
            with pytest.raises(NotEligible):
                call()
        _unchanged(scene)

    def test_a_student_may_still_act_on_their_own_entry(self, scene):
        left = waitlist_service.waitlist_leave(student=scene["attacker"], entry_id=scene["own"].pk)

        assert left.status == Status.LEFT


class TestAnotherTerm:
    def test_a_student_of_another_term_cannot_join_claim_or_fill_a_basket(self, scene, term):
        stranger = issued_student(TermFactory(year=2026, season="fall"))

        with pytest.raises(NotEligible):
            join(stranger, scene["offering"], at=IN_CHANGE)
        with pytest.raises(NotEligible):
            basket_service.basket_add(student=stranger, offering_id=offering_with(term).pk, at=IN_OPENING)
        with pytest.raises(NotEligible):
            waitlist_service.waitlist_claim(student=stranger, entry_id=scene["entry"].pk, at=seoul(3, 2, 18))

    def test_an_offer_whose_holder_lost_the_id_cannot_be_claimed(self, scene):
        from creditexchange.models import TemporaryIdApplication

        TemporaryIdApplication.objects.filter(temporary_id__user=scene["victim"]).update(
            status=TemporaryIdApplication.Status.APPROVED
        )

        with pytest.raises(NotEligible):
            waitlist_service.waitlist_claim(student=scene["victim"], entry_id=scene["entry"].pk, at=seoul(3, 2, 18))

        assert fresh(scene["entry"]).status == Status.OFFERED


class TestStaffPaths:
    def test_staff_cannot_register_a_student_into_a_seat_promised_to_the_waitlist(self, db, registrar):
        term = build_term()
        offering, (holder,) = full_offering(term)
        join(issued_student(term), offering)
        services.registration_drop(student=holder.student, registration_id=holder.pk, actor=registrar, reason="moved")

        with pytest.raises(CourseFull):
            services.registration_submit(
                student=issued_student(term), offering_id=offering.pk, actor=registrar, reason="favour",
            )

        assert fresh(offering).seats_taken == 0

    def test_staff_acting_as_a_student_get_no_more_than_the_student(self, scene, registrar):
        """The student paths check ownership, not roles: a staff account is refused another's entry like anyone."""
        with pytest.raises(NotEligible):
            waitlist_service.waitlist_leave(student=registrar, entry_id=scene["entry"].pk)
        with pytest.raises(NotEligible):
            waitlist_service.waitlist_claim(student=registrar, entry_id=scene["entry"].pk, at=seoul(3, 2, 18))
        with pytest.raises(NotEligible):
            basket_service.basket_remove(student=registrar, item_id=scene["item"].pk)
        _unchanged(scene)

    def test_a_removal_is_recorded_with_the_staff_member_and_frees_the_held_seat(self, scene, registrar):
        waitlist_service.waitlist_remove(entry_id=scene["entry"].pk, actor=registrar, reason="duplicate account")

        event = WaitlistEvent.objects.filter(entry=scene["entry"]).last()
        assert (event.actor, event.reason, event.to_status) == (registrar, "duplicate account", Status.REMOVED)
        assert fresh(scene["offering"]).seats_taken == 0

    def test_staff_remove_a_crafted_id_as_not_found(self, scene, registrar):
        for entry_id in HUGE_IDS:
            with pytest.raises(NotEligible):
                waitlist_service.waitlist_remove(entry_id=entry_id, actor=registrar, reason="x")


class TestPages:
    """What a logged-in student can post: each refusal is a message and a redirect, never a change or an error page."""

    @pytest.fixture
    def attacker_client(self, client, scene):
        client.force_login(scene["attacker"])
        return client

    @pytest.mark.parametrize(
        ("name", "key"), [("waitlist_leave", "entry"), ("waitlist_claim", "entry"), ("basket_remove", "item")]
    )
    def test_another_students_ids_posted_to_the_pages_change_nothing(self, attacker_client, scene, name, key):
        response = attacker_client.post(reverse(f"creditexchange:{name}", args=[scene[key].pk]))

        assert response.status_code == 302
        assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
        _unchanged(scene)

    @pytest.mark.parametrize("name", ["waitlist_leave", "waitlist_claim", "basket_remove", "waitlist_join", "basket_add"])
    def test_crafted_ids_posted_to_the_pages_change_nothing(self, attacker_client, scene, name):
        response = attacker_client.post(f"/credit-exchange/{_path(name, 10**30)}")

        assert response.status_code == 302
        _unchanged(scene)

    @pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "creditexchange:basket"])
    def test_the_next_field_never_leaves_the_site(self, attacker_client, scene, target):
        response = attacker_client.post(
            reverse("creditexchange:waitlist_leave", args=[scene["own"].pk]), {"next": target}
        )

        assert response.status_code == 302
        assert response["Location"] == reverse("creditexchange:my_registrations")

    def test_the_basket_page_shows_only_the_students_own_items(self, attacker_client, scene, term):
        response = attacker_client.get(reverse("creditexchange:basket"), {"term": term.pk})

        assert response.status_code == 200
        assert response.context["summary"].lines == []
        assert scene["item"].offering.code not in response.content.decode()

    def test_a_crafted_term_registers_nothing(self, attacker_client, scene):
        for term in ("abc", str(10**30), "-1"):
            response = attacker_client.post(reverse("creditexchange:basket_register"), {"term": term})
            assert response.status_code in (200, 302)
        assert not CourseRegistration.objects.filter(student=scene["attacker"]).exists()

    def test_anonymous_posts_go_to_the_login_page(self, client, scene):
        response = client.post(reverse("creditexchange:waitlist_leave", args=[scene["entry"].pk]))

        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        _unchanged(scene)

    def test_a_get_changes_nothing(self, attacker_client, scene):
        response = attacker_client.get(reverse("creditexchange:waitlist_leave", args=[scene["own"].pk]))

        assert response.status_code == 405
        assert fresh(scene["own"]).status == Status.WAITING


def _path(name: str, pk: int) -> str:
    return {
        "waitlist_leave": f"waitlist/{pk}/leave/", "waitlist_claim": f"waitlist/{pk}/claim/",
        "basket_remove": f"basket/{pk}/remove/", "waitlist_join": f"courses/{pk}/waitlist/", "basket_add": f"basket/{pk}/add/",
    }[name]
