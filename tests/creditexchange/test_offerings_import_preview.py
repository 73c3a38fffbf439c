"""Issue 12: the offerings import as a previewed bulk action (import contract) and finding 4 through a re-import:
a dry run writes nothing and lists the changes and the registered students a new slot or credit breaks; the
confirmation (its fingerprint) applies it with the same mails; stale or crafted fingerprints are refused; undo."""

import html
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.bulk import StalePreview
from core.errors import DomainError
from core.models import BulkAction, OutgoingMail, StaffJob
from creditexchange import services
from creditexchange.models import CourseOffering, TimeSlot

from ..factories import CourseRegistrationFactory, host_campus
from .test_offering_change import MON, TUE, timetable  # noqa: F401 - the fixture
from .test_offerings_import import _csv, _row


def _file(a, b, *, a_slots="Mon 09:00-10:30", a_credits="3", extra=()):
    """The term's two offerings as a re-import file (A's slots and credits as given), plus ``extra`` rows."""
    def row(o, slots, credits):
        return _row(code=o.code, section=o.section, title_ko=o.title_ko, title_en=o.title_en, credits=credits,
                    capacity=str(o.capacity), instructor=o.instructor, department="", campus=o.campus.code,
                    location=o.location, open_to_exchange="yes", slots=slots)
    return _csv(row(a, a_slots, a_credits), row(b, "Tue 09:00-10:30", "3"), *extra)


def _import(term, content, **kwargs):
    return services.offerings_import(term=term, content=content, filename="offerings.csv", **kwargs)


def _slots(offering):
    return sorted(TimeSlot.objects.filter(offering=offering).values_list("weekday", "starts_at", "ends_at"))


@pytest.fixture
def scene(timetable):  # noqa: F811
    host_campus("main")
    return timetable


def test_a_dry_run_writes_nothing_and_previews_the_changes(scene):
    content = _file(scene["a"], scene["b"], extra=[_row(code="NEW101", department="")])
    report = _import(scene["term"], content, dry_run=True)
    assert report.ok and (report.created, report.updated) == (1, 2) and len(report.fingerprint) == 64
    assert not CourseOffering.objects.filter(code="NEW101").exists() and not BulkAction.objects.exists()
    created = [c for c in report.changes if c["before"] is None]
    assert [c["label"] for c in created] == ["NEW101-01"] and created[0]["id"] is None
    assert created[0]["after"]["time_slots"] == "Mon 09:00-10:30; Wed 09:00-10:30"
    assert report.affected == []


def test_the_confirmation_applies_the_preview_and_records_it(scene):
    content = _file(scene["a"], scene["b"], extra=[_row(code="NEW101", department="")])
    preview = _import(scene["term"], content, dry_run=True)
    report = _import(scene["term"], content, expected=preview.fingerprint)
    assert report.ok
    new = CourseOffering.objects.get(code="NEW101")
    action = BulkAction.objects.get(kind="creditexchange.offerings_import")
    assert [c["id"] for c in action.changes] == [new.pk] and action.inputs["expected"] == preview.fingerprint
    assert report.bulk_action_ids == [action.pk]


def test_a_stale_or_crafted_fingerprint_is_refused_and_nothing_written(scene):
    content = _file(scene["a"], scene["b"], extra=[_row(code="NEW101", department="")])
    with pytest.raises(StalePreview):
        _import(scene["term"], content, expected="0" * 64)
    preview = _import(scene["term"], content, dry_run=True)
    CourseOffering.objects.filter(pk=scene["b"].pk).update(location="Moved")  # someone edits B meanwhile
    with pytest.raises(StalePreview):
        _import(scene["term"], content, expected=preview.fingerprint)
    assert not CourseOffering.objects.filter(code="NEW101").exists() and not BulkAction.objects.exists()


def test_a_reimport_that_breaks_timetables_is_previewed_confirmed_and_mailed(scene):
    content = _file(scene["a"], scene["b"], a_slots="Tue 09:30-11:00")
    # Without a confirmed preview (the management command): a row error, nothing saved.
    report = _import(scene["term"], content)
    assert not report.ok and report.errors[0][0] == 2 and "1 registered student" in report.errors[0][1]
    assert _slots(scene["a"]) == [(MON, time(9), time(10, 30))] and not OutgoingMail.objects.exists()

    preview = _import(scene["term"], content, dry_run=True)
    assert [a["student"] for a in preview.affected] == [str(scene["mina"])]
    assert preview.affected[0]["clashes"][0]["other_label"] == "MAT201-01"
    # A student who registers into a new clash after the preview makes it stale.
    CourseRegistrationFactory(student=scene["joon"], offering=scene["b"])
    with pytest.raises(StalePreview):
        _import(scene["term"], content, expected=preview.fingerprint)
    preview = _import(scene["term"], content, dry_run=True)
    report = _import(scene["term"], content, expected=preview.fingerprint)
    assert report.ok and _slots(scene["a"]) == [(TUE, time(9, 30), time(11))]
    kinds = sorted(BulkAction.objects.values_list("kind", flat=True))
    assert kinds == ["creditexchange.offering_change", "creditexchange.offerings_import"]
    assert OutgoingMail.objects.filter(kind="offering_changed").count() == 2
    change = BulkAction.objects.get(kind="creditexchange.offering_change")
    assert change.inputs["via"] == "offerings_import" and len(change.inputs["affected"]) == 2


def test_undo_deletes_created_offerings_and_restores_changed_ones(scene, registrar):
    content = _file(scene["a"], scene["b"], a_slots="Mon 13:00-14:30", extra=[_row(code="NEW101", department="")])
    report = _import(scene["term"], content)
    assert report.ok and _slots(scene["a"]) == [(MON, time(13), time(14, 30))]
    action = BulkAction.objects.get(kind="creditexchange.offerings_import")
    with pytest.raises(DomainError):
        services.offerings_import_undo(action=action, actor=registrar, reason=" ")
    undo = services.offerings_import_undo(action=action, actor=registrar, reason="wrong file")
    assert undo.undoes == action and undo.reason == "wrong file"
    assert not CourseOffering.objects.filter(code="NEW101").exists()
    assert _slots(scene["a"]) == [(MON, time(9), time(10, 30))]
    with pytest.raises(DomainError):
        services.offerings_import_undo(action=action, actor=registrar, reason="again")


def test_undo_is_refused_when_someone_registered_for_a_created_offering(scene, registrar):
    _import(scene["term"], _file(scene["a"], scene["b"], extra=[_row(code="NEW101", department="")]))
    new = CourseOffering.objects.get(code="NEW101")
    CourseRegistrationFactory(student=scene["joon"], offering=new)
    action = BulkAction.objects.get(kind="creditexchange.offerings_import")
    with pytest.raises(DomainError, match="NEW101-01 was published or has registrations"):
        services.offerings_import_undo(action=action, actor=registrar, reason="wrong file")
    assert CourseOffering.objects.filter(code="NEW101").exists() and BulkAction.objects.count() == 1


def test_the_job_page_previews_the_affected_students(registrar_client, scene, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("offerings.csv", _file(scene["a"], scene["b"], a_slots="Tue 09:30-11:00"), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = registrar_client.post("/admin/creditexchange/courseoffering/import/",
                                         {"term": scene["term"].pk, "file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    job = StaffJob.objects.get()
    assert response.status_code == 302 and job.status == "done" and job.report["dry_run"] is True
    text = html.unescape(registrar_client.get(f"/staff/jobs/{job.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert 'id="import-affected"' in text and str(scene["mina"]) in text
    assert "CSE101-01 Tue 09:30–11:00 overlaps MAT201-01 Tue 09:00–10:30" in text
    assert _slots(scene["a"]) == [(MON, time(9), time(10, 30))]


def test_the_undo_page_shows_what_it_does_and_undoes_with_a_reason(registrar_client, scene):
    _import(scene["term"], _file(scene["a"], scene["b"], a_slots="Mon 13:00-14:30", extra=[_row(code="NEW101", department="")]))
    action = BulkAction.objects.get(kind="creditexchange.offerings_import")
    url = f"/admin/creditexchange/courseoffering/import/undo/{action.pk}/"
    text = html.unescape(registrar_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "NEW101-01: deleted" in text and "time slots = Mon 09:00-10:30" in text  # named as the preview names it
    response = registrar_client.post(url, {"reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and CourseOffering.objects.filter(code="NEW101").exists()
    response = registrar_client.post(url, {"reason": "wrong term"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and not CourseOffering.objects.filter(code="NEW101").exists()
    assert BulkAction.objects.get(undoes=action).reason == "wrong term"


def test_a_committee_member_may_not_undo_an_import(client, scene):
    from django.contrib.auth.models import Group

    from accounts.roles import ensure_roles

    from ..factories import UserFactory

    _import(scene["term"], _file(scene["a"], scene["b"], extra=[_row(code="NEW101", department="")]))
    action = BulkAction.objects.get(kind="creditexchange.offerings_import")
    ensure_roles()
    member = UserFactory(username="committee", is_staff=True)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    client.force_login(member)
    response = client.post(f"/admin/creditexchange/courseoffering/import/undo/{action.pk}/", {"reason": "x"})
    assert response.status_code == 403 and CourseOffering.objects.filter(code="NEW101").exists()
