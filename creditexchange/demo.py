"""Demo data for lists to partner universities (called by ``load_demo``; idempotent)."""

from academics.models import Institution, Term
from accounts.models import User
from core.errors import DomainError

from .models import PartnerList, TemporaryIdApplication
from .services import partner_list_send


def load_partner_list_demo() -> list[PartnerList]:
    """Two sent lists for the winter session: Hanbit's applicants list (the returning student is on it)
    and Garam's registrations list. Their mails, with the verification links, are in the local mailbox."""
    staff = User.objects.filter(username="registrar").first()
    sent = []
    for code, kind in [("hanbit", PartnerList.Kind.APPLICANTS), ("garam", PartnerList.Kind.REGISTRATIONS)]:
        partner = Institution.objects.filter(code=code).first()
        term = (
            Term.objects.filter(season=Term.Season.WINTER, temporary_id_applications__partner=partner)
            .order_by("-year").first()
        )
        if partner is None or term is None:
            continue
        existing = PartnerList.objects.filter(partner=partner, term=term, kind=kind).first()
        if existing is not None:
            sent.append(existing)
            continue
        if not TemporaryIdApplication.objects.filter(partner=partner, term=term).exists():
            continue
        try:
            sent.append(partner_list_send(partner_id=partner.pk, term_id=term.pk, kind=kind, actor=staff))
        except DomainError:
            continue  # e.g. no student has registered yet; the demo works without this list
    return sent


def load_transcripts_demo() -> list:
    """A past term with final grades and transcripts issued to Hanbit (issue 15): the returning student's two
    courses (one graded A0, one B+), the batch in the admin and its mails, with the PDFs, in the local mailbox."""
    from django.utils import timezone

    from .models import CourseOffering, CourseRegistration, Grade, TermGrades, TranscriptBatch
    from .services.transcripts import transcripts_issue

    application = (
        TemporaryIdApplication.objects.filter(partner__code="hanbit", home_student_number="20230001",
                                              status=TemporaryIdApplication.Status.ISSUED)
        .select_related("term", "partner", "temporary_id__user").order_by("term__year").first()
    )
    template = CourseOffering.objects.exclude(term=getattr(application, "term", None)).order_by("pk").first()
    if application is None or template is None:
        return []
    term, student = application.term, application.temporary_id.user
    existing = list(TranscriptBatch.objects.filter(term=term, partner=application.partner))
    if existing:
        return existing
    staff = User.objects.filter(username="registrar").first()
    for code, title_ko, title_en, credits, value in [
        ("CSE6010", "고급 기계학습", "Advanced Machine Learning", 3, "A0"),
        ("PHY6020", "양자정보과학", "Quantum Information Science", 2, "B+"),
    ]:
        offering = CourseOffering.objects.filter(term=term, code=code, section="01").first()
        if offering is None:
            offering = CourseOffering.objects.get(pk=template.pk)
            offering.pk = None
            offering.term, offering.code, offering.section = term, code, "01"
            offering.title_ko, offering.title_en, offering.credits = title_ko, title_en, credits
            offering.save()
        registration, _created = CourseRegistration.objects.get_or_create(
            student=student, offering=offering, term=term, defaults={"status": CourseRegistration.Status.REGISTERED},
        )
        Grade.objects.get_or_create(registration=registration, defaults={
            "student": student, "offering": offering, "term": term, "value": value, "source": Grade.Source.STAFF,
            "entered_at": timezone.now(),
        })
    TermGrades.objects.update_or_create(term=term, defaults={
        "status": TermGrades.Status.FINAL, "finalized_at": timezone.now(), "finalized_by": staff,
    })
    try:
        return [transcripts_issue(term=term, partner=application.partner, actor=staff)]
    except DomainError:
        return []  # e.g. the partner has no coordinator address; the demo works without the transcripts
