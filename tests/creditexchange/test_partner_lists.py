"""Lists to partner universities (SPEC §3.3): snapshots, files, mail, idempotence, schedule, command."""

import csv
import hashlib
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from academics.models import InstitutionContact, TermWindow
from core.errors import AlreadySent, NotEligible
from core.models import OutgoingMail
from creditexchange import services
from creditexchange.models import ImmutableSnapshot, PartnerList, PartnerListFile, Recommendation
from creditexchange.tasks import send_due_partner_lists_task

from ..factories import CourseOfferingFactory, CourseRegistrationFactory, RecommendationFactory
from .partner_list_helpers import send

Kind = PartnerList.Kind


def _numbers(partner_list: PartnerList) -> list[str]:
    return [row["home_student_number"] for row in partner_list.rows]


def test_an_applicants_list_names_confirmed_approved_and_issued_applicants_only(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    assert _numbers(partner_list) == ["H001", "H002", "H003"]  # not the unconfirmed H004 nor the rejected H005
    assert partner_list.language == "ko"
    assert partner_list.recipients == ["exchange@hanbit.example", "kim@hanbit.example"]
    assert partner_list.rows[2]["application_status"] == "confirmed" and partner_list.rows[2]["student_id"] == ""
    assert {"email", "phone", "date_of_birth"}.isdisjoint(partner_list.rows[0])  # only what the partner needs
    assert partner_list.recommendations.count() == 3
    assert set(partner_list.recommendations.values_list("decision", flat=True)) == {Recommendation.Decision.PENDING}
    assert partner_list.deadline > partner_list.sent_at + timedelta(days=14)
    assert timezone.localtime(partner_list.deadline).time().hour == 0  # midnight, Asia/Seoul


def test_it_mails_every_coordinator_with_both_files_and_a_link(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partner_list = send(scene, scene.garam, Kind.REGISTRATIONS)

    assert sorted(m.to[0] for m in mail.outbox) == ["intl@garam.example"]
    message = mail.outbox[0]
    assert "Course registrations list for 2027 Spring" in message.subject
    assert "/credit-exchange/verify/" in message.body
    names = sorted(name for name, _content, _type in message.attachments)
    assert names == ["2027-spring_garam_registrations.csv", "2027-spring_garam_registrations.xlsx"]
    stored = {f.filename: bytes(f.content) for f in partner_list.files.all()}
    assert all(stored[name] == (content if isinstance(content, bytes) else content.encode()) for name, content, _t in message.attachments)
    row = OutgoingMail.objects.get(kind="partner_list")
    assert row.status == OutgoingMail.Status.SENT and len(row.attachments) == 2


def test_the_registrations_list_holds_students_with_courses_and_their_courses(scene):
    partner_list = send(scene, scene.garam, Kind.REGISTRATIONS)

    assert _numbers(partner_list) == ["G001"]  # G002 has no course yet
    assert [c["code"] for c in partner_list.rows[0]["courses"]] == ["MATH200"]
    csv_file = partner_list.files.get(filename__endswith=".csv")
    lines = list(csv.reader(io.StringIO(bytes(csv_file.content).decode("utf-8-sig"))))
    assert lines[0][:2] == ["No.", "Home student number"]  # Garam reads English
    assert lines[1][1] == "G001" and "Linear Algebra" in lines[1]


def test_the_files_escape_what_an_applicant_typed_as_a_formula(scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    xlsx = partner_list.files.get(filename__endswith=".xlsx")
    sheet = load_workbook(io.BytesIO(bytes(xlsx.content))).active
    latin = [sheet.cell(row=r, column=4).value for r in range(2, sheet.max_row + 1)]
    assert latin[2] == "'=HYPERLINK(\"http://evil.example\")"
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    csv_text = bytes(partner_list.files.get(filename__endswith=".csv").content).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    assert sheet.cell(row=1, column=2).value == "소속대학 학번"  # Hanbit reads Korean


def test_a_sent_list_is_an_immutable_snapshot(scene):
    partner_list = send(scene, scene.garam, Kind.REGISTRATIONS)
    rows = partner_list.rows
    digests = {f.filename: f.sha256 for f in partner_list.files.all()}

    # The world moves on: new course, renamed student, new coordinator.
    application = scene.application(scene.garam1)
    application.name_latin = "RENAMED"
    application.save()
    CourseRegistrationFactory(student=scene.garam_idle, offering=CourseOfferingFactory(term=scene.term, code="NEW100"))
    InstitutionContact.objects.create(institution=scene.garam, email="new@garam.example")

    fresh = PartnerList.objects.get(pk=partner_list.pk)
    assert fresh.rows == rows and fresh.recipients == ["intl@garam.example"]
    for stored in fresh.files.all():
        assert hashlib.sha256(bytes(stored.content)).hexdigest() == digests[stored.filename] == stored.sha256
    with pytest.raises(ImmutableSnapshot):
        fresh.save()
    with pytest.raises(ImmutableSnapshot):
        fresh.files.first().save()


def test_a_list_is_sent_once_per_partner_term_and_kind(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(scene, scene.garam, Kind.REGISTRATIONS)
        with pytest.raises(AlreadySent, match="already sent"):
            send(scene, scene.garam, Kind.REGISTRATIONS)

    assert PartnerList.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("partner", "kind", "message"),
    [
        ("hanbit", Kind.REGISTRATIONS, "gets no Course registrations list"),
        ("garam", Kind.APPLICANTS, "gets no Applicants list"),
    ],
)
def test_it_refuses_a_kind_that_does_not_match_the_partners_verification_basis(scene, partner, kind, message):
    with pytest.raises(NotEligible, match=message):
        send(scene, getattr(scene, partner), kind)
    assert not PartnerList.objects.exists()


def test_it_refuses_a_partner_without_an_active_coordinator_address(scene):
    InstitutionContact.objects.filter(institution=scene.garam).update(is_active=False)

    with pytest.raises(NotEligible, match="no active coordinator"):
        send(scene, scene.garam, Kind.FINAL)
    assert not PartnerList.objects.exists() and not OutgoingMail.objects.exists()


def test_it_refuses_a_list_without_students(scene):
    from ..factories import partner_with_contacts

    empty = partner_with_contacts("empty", "x@empty.example")
    with pytest.raises(NotEligible, match="no students"):
        send(scene, empty, Kind.FINAL)


def test_the_final_list_carries_the_no_credit_mark_of_the_latest_answer(scene, registrar):
    early = send(scene, scene.hanbit, Kind.APPLICANTS, at=timezone.now() - timedelta(days=25))
    line = early.recommendations.get(application=scene.application(scene.han1))
    services.recommendations_submit(
        partner_list_id=early.pk, decisions={line.pk: ("not_recommended", "missing transcript")}, ip="203.0.113.5",
        at=timezone.now() - timedelta(days=24),
    )
    # Han2 was first not recommended, then recommended: the latest answer counts.
    services.recommendation_record(
        application_id=scene.application(scene.han2).pk, decision="not_recommended", source_note="phone", actor=registrar,
        at=timezone.now() - timedelta(days=3),
    )
    services.recommendation_record(
        application_id=scene.application(scene.han2).pk, decision="recommended", source_note="letter", actor=registrar,
    )

    final = send(scene, scene.hanbit, Kind.FINAL)

    by_number = {row["home_student_number"]: row for row in final.rows}
    assert by_number["H001"]["no_credit"] is True and by_number["H001"]["recommendation"] == "not_recommended"
    assert by_number["H002"]["no_credit"] is False and by_number["H002"]["recommendation"] == "recommended"
    assert "H003" not in by_number  # no ID issued: not in the final list
    sheet = load_workbook(io.BytesIO(bytes(final.files.get(filename__endswith=".xlsx").content))).active
    marks = {sheet.cell(row=r, column=2).value: sheet.cell(row=r, column=sheet.max_column).value
             for r in range(2, sheet.max_row + 1)}  # the credit column comes last
    assert marks["H001"] and not marks["H002"]
    assert sheet.cell(row=1, column=sheet.max_column).value != "Credit"  # Hanbit's list is in Korean


def test_the_schedule_sends_each_list_after_its_window_closes_and_only_once(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_partner_lists_task() == 2  # applicants (Hanbit) and registrations (Garam); change still open

    sent = set(PartnerList.objects.values_list("partner__code", "kind", "trigger"))
    assert sent == {("hanbit", "applicants", "schedule"), ("garam", "registrations", "schedule")}
    assert send_due_partner_lists_task() == 0

    TermWindow.objects.filter(term=scene.term, kind=TermWindow.Kind.CHANGE).update(ends_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_partner_lists_task() == 2  # the final list, to both partners
    assert send_due_partner_lists_task() == 0
    assert OutgoingMail.objects.filter(kind="partner_list").count() == 2 + 1 + 2 + 1


def test_the_schedule_leaves_long_past_terms_alone(scene, settings):
    settings.PARTNER_LIST_SCHEDULE_LOOKBACK_DAYS = 1  # the windows closed 13 and 2 days ago

    assert send_due_partner_lists_task() == 0
    assert not PartnerList.objects.exists()


def test_the_command_sends_now_and_never_twice(scene, django_capture_on_commit_callbacks):
    out = io.StringIO()
    call_command("send_partner_lists", "--term", "2027-spring", "--kind", "final", stdout=out)
    assert "sent=2 refused=0" in out.getvalue()
    assert set(PartnerList.objects.values_list("trigger", flat=True)) == {"command"}

    out = io.StringIO()
    call_command("send_partner_lists", "--term", "2027-spring", "--kind", "final", "--partner", "garam", stdout=out)
    assert "sent=0 refused=1" in out.getvalue() and "already sent" in out.getvalue()
    assert PartnerList.objects.count() == 2


def test_the_command_without_options_runs_the_schedule(scene):
    out = io.StringIO()
    call_command("send_partner_lists", stdout=out)
    assert "sent=2" in out.getvalue()


def test_a_staff_record_without_a_list_stands_on_its_own(scene, registrar):
    recommendation = services.recommendation_record(
        application_id=scene.application(scene.garam_idle).pk, decision="not_recommended",
        source_note="fax of 2 March", comment="left the programme", actor=registrar,
    )

    assert recommendation.partner_list is None
    assert (recommendation.source, recommendation.decided_by, recommendation.source_note) == ("staff", registrar, "fax of 2 March")
    event = recommendation.events.get()
    assert (event.from_decision, event.to_decision, event.actor, event.source_note) == (
        "pending", "not_recommended", registrar, "fax of 2 March")


def test_a_staff_record_goes_on_the_latest_list_line(scene, registrar):
    partner_list = send(scene, scene.garam, Kind.FINAL)

    recommendation = services.recommendation_record(
        application_id=scene.application(scene.garam1).pk, decision="recommended", source_note="e-mail", actor=registrar,
    )
    assert recommendation.partner_list == partner_list
    assert Recommendation.objects.filter(application=scene.application(scene.garam1)).count() == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [({"decision": "maybe", "source_note": "x"}, "Choose"), ({"decision": "recommended", "source_note": "  "}, "how the recommendation")],
)
def test_a_staff_record_needs_a_decision_and_a_source(scene, registrar, values, message):
    with pytest.raises(Exception, match=message):
        services.recommendation_record(application_id=scene.application(scene.han1).pk, actor=registrar, **values)
    assert not Recommendation.objects.exists()


def test_files_are_stored_once_and_attached_by_reference(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    assert PartnerListFile.objects.count() == 2
    references = {tuple(sorted(r["id"] for r in m.attachments)) for m in OutgoingMail.objects.filter(kind="partner_list")}
    assert references == {tuple(sorted(partner_list.files.values_list("pk", flat=True)))}


def test_a_staff_record_factory_counts_as_the_latest_answer(scene):
    from creditexchange.selectors_lists import credit_withheld

    RecommendationFactory(application=scene.application(scene.han1), decision="not_recommended")
    assert credit_withheld(student=scene.han1, term=scene.term) is not None
    assert credit_withheld(student=scene.han2, term=scene.term) is None


def test_a_later_unanswered_list_does_not_lift_an_earlier_not_recommended(scene):
    from creditexchange.selectors_lists import credit_withheld

    early = send(scene, scene.hanbit, Kind.APPLICANTS, at=timezone.now() - timedelta(days=3))
    services.recommendations_submit(
        partner_list_id=early.pk, decisions={early.recommendations.get(application=scene.application(scene.han1)).pk:
                                             ("not_recommended", "")}, ip=None,
    )
    send(scene, scene.hanbit, Kind.FINAL)  # its line for Han1 is still pending

    assert credit_withheld(student=scene.han1, term=scene.term).partner_list == early


def test_staff_resend_a_failed_list_mail_with_the_same_files(scene, settings, django_capture_on_commit_callbacks):
    from core.mail import mail_resend

    settings.MAIL_MAX_ATTEMPTS = 1
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")):
        with django_capture_on_commit_callbacks(execute=True):
            partner_list = send(scene, scene.garam, Kind.REGISTRATIONS)
    row = OutgoingMail.objects.get(kind="partner_list")
    assert row.status == OutgoingMail.Status.FAILED and "SMTP down" in row.last_error

    with django_capture_on_commit_callbacks(execute=True):
        mail_resend(mail=row)

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    stored = {f.filename: bytes(f.content) for f in partner_list.files.all()}
    attached = {name: content if isinstance(content, bytes) else content.encode() for name, content, _t in mail.outbox[0].attachments}
    assert attached == stored


def test_one_partner_failing_does_not_keep_the_others_from_their_list(scene, django_capture_on_commit_callbacks):
    from creditexchange.services import partner_lists

    original = partner_lists.partner_list_send

    def broken_for_hanbit(**kwargs):
        if kwargs["partner_id"] == scene.hanbit.pk:
            raise RuntimeError("corrupt row")
        return original(**kwargs)

    with mock.patch.object(partner_lists, "partner_list_send", side_effect=broken_for_hanbit):
        with django_capture_on_commit_callbacks(execute=True):
            report = services.partner_lists_send(term=scene.term, kind=Kind.FINAL)

    assert [p.partner for p in report.sent] == [scene.garam]
    assert len(report.refused) == 1 and "hanbit" in report.refused[0] and "corrupt row" in report.refused[0]
