"""Review R1 of issue 12: undo, reinstate and confirmation pages under bad input and crafted requests."""

import pytest

from affiliation import services
from affiliation.models import EligibilityException, StudentRecord
from ustportal.errors import DomainError
from ustportal.models import BulkAction

from ..factories import DepartmentFactory, UserFactory, affiliation_campus
from .test_records_import import _file


@pytest.fixture
def reference(db):
    sejong, seoul = affiliation_campus(main=False), affiliation_campus(main=True)
    DepartmentFactory(code="sj-cse", campus=sejong)
    DepartmentFactory(code="cse", campus=seoul)


def test_undoing_a_first_import_keeps_a_record_the_committee_granted_an_exception_to(reference, fall_round):
    """Deleting the created record would silently delete the exception (and its reason) with it."""
    staff = UserFactory(username="clerk", is_staff=True)
    assert services.records_import(content=_file(), filename="a.csv").ok
    record = StudentRecord.objects.get()
    services.exception_grant(round=fall_round, record=record, rule="credits", reason="Transfer credits pending",
                             actor=staff)
    action = BulkAction.objects.get(kind="affiliation.records_import")
    assert str(record) in services.records_import_undo_preview(action=action)["in_use"]
    with pytest.raises(DomainError) as excinfo:
        services.records_import_undo(action=action, actor=staff, reason="wrong file")
    assert record.student_number in str(excinfo.value.message)
    assert EligibilityException.objects.filter(record=record).exists() and StudentRecord.objects.exists()
