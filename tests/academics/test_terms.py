"""Terms sort by the academic calendar (spring, summer, fall, winter), not by the season's name."""

from academics.models import Term
from creditexchange import selectors

from ..factories import CourseOfferingFactory, TermFactory


def _make_terms():
    for year, season in [(2026, "fall"), (2026, "spring"), (2026, "winter"), (2026, "summer"), (2027, "spring")]:
        TermFactory(year=year, season=season)


def _labels(terms) -> list[str]:
    return [f"{t.year}-{t.season}" for t in terms]


def test_terms_newest_first_follow_the_academic_calendar(db):
    _make_terms()

    assert _labels(Term.objects.chronological()) == [
        "2027-spring", "2026-winter", "2026-fall", "2026-summer", "2026-spring",
    ]
    assert _labels(Term.objects.chronological(newest_first=False))[:2] == ["2026-spring", "2026-summer"]


def test_the_catalogue_lists_its_terms_in_calendar_order(db):
    _make_terms()
    for term in Term.objects.all():
        CourseOfferingFactory(term=term)
        CourseOfferingFactory(term=term)  # two offerings: the term must still appear once

    assert _labels(selectors.catalogue_terms()) == ["2027-spring", "2026-winter", "2026-fall", "2026-summer", "2026-spring"]
