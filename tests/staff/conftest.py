"""The staff cast (registrar from tests/conftest.py, committee, superuser, a clerk without a role) and a term
whose every figure is known: ``Scene.expected`` holds the rows the dashboard must show, in English."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from academics.models import Term, TermWindow
from accounts.roles import ensure_roles
from affiliation.models import AffiliationApplication
from creditexchange.models import CourseRegistration, PartnerList, Recommendation, TemporaryIdApplication

from ..factories import (
    AffiliationApplicationFactory,
    AffiliationRoundFactory,
    ApplicationFactory,
    CollegeFactory,
    CourseOfferingFactory,
    CourseRegistrationFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    InstitutionFactory,
    RecommendationFactory,
    TermFactory,
    TermWindowFactory,
    UserFactory,
    affiliation_campus,
)

App = TemporaryIdApplication.Status
Aff = AffiliationApplication.Status
Decision = Recommendation.Decision


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions read English labels unless a test says otherwise


@pytest.fixture
def committee(db):
    ensure_roles()
    user = UserFactory(username="committee", is_staff=True)
    user.groups.add(Group.objects.get(name="affiliation_committee"))
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def clerk(db):
    """Staff without any role."""
    return UserFactory(username="clerk", is_staff=True)


@dataclass
class Scene:
    term: Term
    other_term: Term
    expected: dict[str, list[list]]


def _application(term, partner, status, **fields):
    if status == App.REJECTED:
        fields.setdefault("rejection_reason", "not nominated")
    if status == App.ISSUED:
        from ..factories import TemporaryStudentIdFactory

        fields.setdefault("temporary_id", TemporaryStudentIdFactory(partner=partner))
    return ApplicationFactory(term=term, partner=partner, status=status, **fields)


def _noise(term, partner):
    """Data in another term that no figure of ``Scene.term`` may count."""
    ApplicationFactory.create_batch(4, term=term, partner=partner)
    offering = CourseOfferingFactory(term=term, code="NOISE1", capacity=5)
    CourseRegistrationFactory(offering=offering)
    RecommendationFactory(application=_application(term, partner, App.ISSUED), decision=Decision.NOT_RECOMMENDED)
    year_ago = timezone.now() - timedelta(days=400)
    round = AffiliationRoundFactory(term=TermFactory(year=2025, season="fall"), opens_at=year_ago, closes_at=year_ago + timedelta(days=10))
    other = DepartmentQuotaFactory(round=round, general_transfer_number=1).department
    AffiliationApplicationFactory(round=round, target_department=other, status=Aff.SUBMITTED, submitted_at=timezone.now())


@pytest.fixture
def scene(db) -> Scene:
    now = timezone.now()
    term = TermFactory(year=2026, season="fall")
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=2), ends_at=now + timedelta(days=5))
    other_term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=other_term, kind=TermWindow.Kind.APPLICATION, starts_at=now + timedelta(days=40), ends_at=now + timedelta(days=60))
    hanbit = InstitutionFactory(code="hanbit", name_ko="한빛대학교", name_en="Hanbit University")
    garam = InstitutionFactory(code="garam", name_ko="가람대학교", name_en="Garam University")

    # Temporary-ID applications.
    for status, count in [(App.SUBMITTED, 2), (App.CONFIRMED, 1), (App.APPROVED, 1), (App.REJECTED, 1)]:
        for _ in range(count):
            _application(term, hanbit, status)
    h1, h2, h3 = (_application(term, hanbit, App.ISSUED) for _ in range(3))
    h4 = TemporaryIdApplication.objects.get(term=term, partner=hanbit, status=App.APPROVED)
    _application(term, garam, App.CONFIRMED)
    g1, _g2 = (_application(term, garam, App.ISSUED) for _ in range(2))

    # Offerings and registrations: 3 of 4, 1 of 3 (plus a drop), 2 of 2, none of 5.
    for code, capacity, registered, dropped in [("CSE101", 4, 3, 0), ("ENG300", 2, 2, 0), ("MAT201", 3, 1, 1), ("PHY110", 5, 0, 0)]:
        offering = CourseOfferingFactory(term=term, code=code, capacity=capacity, title_en=f"{code} title", title_ko=f"{code} 과목")
        CourseRegistrationFactory.create_batch(registered, offering=offering)
        CourseRegistrationFactory.create_batch(dropped, offering=offering, status=CourseRegistration.Status.DROPPED)

    # Recommendations: the latest answer counts (h1: recommended on the list, later not recommended by staff).
    sent = PartnerList.objects.create(
        partner=hanbit, term=term, kind=PartnerList.Kind.APPLICANTS, language="ko", sent_at=now - timedelta(days=1),
        deadline=now + timedelta(days=10), trigger=PartnerList.Trigger.STAFF,
    )
    for application, decision, hours_ago in [(h1, Decision.RECOMMENDED, 3), (h2, Decision.PENDING, 0), (h3, Decision.RECOMMENDED, 2),
                                             (h4, Decision.PENDING, 0)]:
        Recommendation.objects.create(
            partner_list=sent, application=application, decision=decision,
            decided_at=None if decision == Decision.PENDING else now - timedelta(hours=hours_ago),
            source=Recommendation.Source.COORDINATOR if decision != Decision.PENDING else "",
        )
    RecommendationFactory(application=h1, decision=Decision.NOT_RECOMMENDED, decided_at=now - timedelta(hours=1))
    RecommendationFactory(application=g1, decision=Decision.RECOMMENDED)

    # Change of affiliation: the term's round, three departments (one with quota 0).
    round = AffiliationRoundFactory(term=term)
    main = affiliation_campus(main=True)
    cse = DepartmentFactory(campus=main, code="cse", name_ko="컴퓨터학과", name_en="Computer Science")
    ee = DepartmentFactory(campus=main, code="ee", name_ko="전자공학과", name_en="Electrical Engineering")
    medicine = DepartmentFactory(
        campus=main, code="med", name_ko="의학과", name_en="Medicine",
        college=CollegeFactory(code="medicine", excluded_from_affiliation_change=True),
    )
    DepartmentQuotaFactory(round=round, department=cse, general_transfer_number=2)
    DepartmentQuotaFactory(round=round, department=ee, general_transfer_number=5, override=3)
    DepartmentQuotaFactory(round=round, department=medicine, general_transfer_number=0)
    for department, statuses in [
        (cse, [Aff.ADMITTED, Aff.CONFIRMED, Aff.NOT_ADMITTED, Aff.NOT_ADMITTED, Aff.STAGE1_FAILED]),
        (ee, [Aff.CANCELLED, Aff.STAGE1_PASSED, Aff.SUBMITTED, Aff.SUBMITTED]),
    ]:
        for status in statuses:
            AffiliationApplicationFactory(round=round, target_department=department, status=status, submitted_at=now)
    AffiliationApplicationFactory(round=round, target_department=cse, status=Aff.DRAFT)

    _noise(other_term, hanbit)

    expected = {
        "applications_by_status": [
            ["Submitted (e-mail not confirmed)", 2], ["Confirmed", 2], ["Approved", 1], ["Rejected", 1], ["Issued", 5],
        ],
        "applications_by_partner": [
            ["Garam University", 0, 1, 0, 0, 2, 3],
            ["Hanbit University", 2, 1, 1, 1, 3, 8],
        ],
        "registrations_by_offering": [
            ["CSE101", "01", "CSE101 title", 4, 3, 1, Decimal("75.0"), 0],
            ["ENG300", "01", "ENG300 title", 2, 2, 0, Decimal("100.0"), 0],
            ["MAT201", "01", "MAT201 title", 3, 1, 2, Decimal("33.3"), 1],
            ["PHY110", "01", "PHY110 title", 5, 0, 5, Decimal("0.0"), 0],
        ],
        "recommendations_by_partner": [
            ["Garam University", 1, 1, 0, 0, Decimal("100.0")],
            ["Hanbit University", 4, 1, 1, 2, Decimal("50.0")],
        ],
        "affiliation_by_department": [
            ["Computer Science", 2, 5, Decimal("2.50"), 4, 2, 1, 0],
            ["Electrical Engineering", 3, 4, Decimal("1.33"), 2, 1, 0, 1],
        ],
    }
    return Scene(term=term, other_term=other_term, expected=expected)
