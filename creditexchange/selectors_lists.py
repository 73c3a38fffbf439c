"""Reads for lists to partner universities and recommendations (SPEC §3.3).

Kept beside ``selectors.py`` (the catalogue's reads) so each module stays small.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from academics.models import Institution, Term
from accounts.models import User
from core.language import bilingual
from core.models import OutgoingMail

from .models import CourseRegistration, PartnerList, Recommendation, TemporaryIdApplication, answered_q

LISTED_APPLICATION_STATUSES = (
    TemporaryIdApplication.Status.CONFIRMED, TemporaryIdApplication.Status.APPROVED, TemporaryIdApplication.Status.ISSUED,
)
BASIS_OF_KIND = {
    PartnerList.Kind.APPLICANTS: Institution.VerificationBasis.APPLICATION,
    PartnerList.Kind.REGISTRATIONS: Institution.VerificationBasis.REGISTRATION,
}


def partner_list_applies(*, partner: Institution, kind: str) -> bool:
    """Applicants go to partners verifying after application, registrations to those verifying after
    registration; the final list goes to every partner with students that term."""
    return kind == PartnerList.Kind.FINAL or BASIS_OF_KIND.get(kind) == partner.verification_basis


def partner_list_applications(*, partner_id: int, term_id: int, kind: str) -> QuerySet[TemporaryIdApplication]:
    """The students a list of this kind names: applicants whose e-mail is confirmed and who are not rejected;
    for registrations, students with an issued ID and at least one course; for the final list, every issued ID."""
    return (
        _kind_applications(term_id=term_id, kind=kind).filter(partner_id=partner_id)
        .select_related("temporary_id").order_by("home_student_number", "pk")
    )


def _kind_applications(*, term_id: int, kind: str) -> QuerySet[TemporaryIdApplication]:
    """Every partner's students of this kind of list in the term (see ``partner_list_applications``)."""
    applications = TemporaryIdApplication.objects.filter(term_id=term_id)
    if kind == PartnerList.Kind.APPLICANTS:
        applications = applications.filter(status__in=LISTED_APPLICATION_STATUSES)
    else:
        applications = applications.filter(status=TemporaryIdApplication.Status.ISSUED)
    if kind == PartnerList.Kind.REGISTRATIONS:
        applications = applications.filter(
            Exists(CourseRegistration.objects.filter(
                term_id=term_id, student=OuterRef("temporary_id__user"), status=CourseRegistration.Status.REGISTERED
            ))
        )
    return applications


def latest_decisions(*, application_ids) -> dict[int, Recommendation]:
    """Each student's latest answered recommendation (any list or a staff record); absent when none."""
    latest: dict[int, Recommendation] = {}
    answered = Recommendation.objects.filter(application_id__in=list(application_ids)).answered().latest_first()
    for recommendation in answered:
        latest.setdefault(recommendation.application_id, recommendation)
    return latest


def credit_withheld(*, student: User, term: Term | None) -> Recommendation | None:
    """Seed 000 §2: the not-recommended answer that takes the credit away from ``student`` in ``term``, if any."""
    if term is None or not student.is_authenticated:
        return None
    latest = (
        Recommendation.objects.filter(
            application__term=term, application__temporary_id__user=student,
            application__status=TemporaryIdApplication.Status.ISSUED,
        )
        .answered().latest_first()
        .select_related("application__partner")
        .first()
    )
    return latest if latest is not None and latest.withholds_credit else None


def registrations_with_credit_mark(registrations: QuerySet[CourseRegistration]) -> QuerySet[CourseRegistration]:
    """Annotate ``partner_decision``: the student's latest answered recommendation for the registration's term."""
    latest = (
        Recommendation.objects.filter(
            application__term=OuterRef("term"), application__temporary_id__user=OuterRef("student"),
        )
        .answered().latest_first()
        .values("decision")[:1]
    )
    return registrations.annotate(partner_decision=Subquery(latest))


def partner_list_rows(*, partner_id: int, term_id: int, kind: str) -> list[dict]:
    """The snapshot rows of a list: plain values and codes only, so the stored JSON never changes meaning."""
    applications = list(partner_list_applications(partner_id=partner_id, term_id=term_id, kind=kind))
    courses: dict[int, list[dict]] = {}
    if kind != PartnerList.Kind.APPLICANTS:
        users = [a.temporary_id.user_id for a in applications if a.temporary_id]
        for registration in (
            CourseRegistration.objects.filter(term_id=term_id, student_id__in=users, status=CourseRegistration.Status.REGISTERED)
            .select_related("offering").order_by("offering__code", "offering__section")
        ):
            offering = registration.offering
            courses.setdefault(registration.student_id, []).append({
                "code": offering.code, "section": offering.section, "title_ko": offering.title_ko,
                "title_en": offering.title_en, "credits": offering.credits,
            })
    decisions = latest_decisions(application_ids=[a.pk for a in applications]) if kind == PartnerList.Kind.FINAL else {}
    rows = []
    for application in applications:
        row = {
            "application_id": application.pk,
            "home_student_number": application.home_student_number,
            "name_ko": application.name_ko,
            "name_latin": application.name_latin,
            "home_department": application.home_department,
            "degree_level": application.degree_level,
            "student_id": application.temporary_id.student_id if application.temporary_id else "",
        }
        if kind == PartnerList.Kind.APPLICANTS:
            row["application_status"] = application.status
        else:
            mine = courses.get(application.temporary_id.user_id, [])
            row["courses"] = mine
            row["total_credits"] = sum(c["credits"] for c in mine)
        if kind == PartnerList.Kind.FINAL:
            decision = decisions.get(application.pk)
            row["recommendation"] = decision.decision if decision else Recommendation.Decision.PENDING
            row["no_credit"] = bool(decision and decision.withholds_credit)
        rows.append(row)
    return rows


def partner_list_due(*, term: Term, kind: str) -> list[Institution]:
    """Partners this kind of list applies to, that have students on it and have not been sent it yet."""
    sent = PartnerList.objects.filter(term=term, kind=kind).values("partner_id")
    candidates = Institution.objects.filter(kind=Institution.Kind.PARTNER).exclude(pk__in=sent).order_by("code")
    return [
        partner for partner in candidates
        if partner_list_applies(partner=partner, kind=kind)
        and partner_list_applications(partner_id=partner.pk, term_id=term.pk, kind=kind).exists()
    ]


def _earlier_answers() -> QuerySet[Recommendation]:
    """For a line of a list (the outer row): the same student's answers on earlier lists of that term and partner."""
    return (
        Recommendation.objects.filter(
            application=OuterRef("application"), partner_list__term=OuterRef("partner_list__term"),
            partner_list__partner=OuterRef("partner_list__partner"),
            partner_list__sent_at__lt=OuterRef("partner_list__sent_at"),
        )
        .answered().latest_first()
    )


def lines_with_answers(lines: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """The one rule for what a list's line counts as: its own answer, else the latest answer the same student got on
    an earlier list of the same term and partner (``answer`` is then null only when neither exists).

    ``earlier_id`` names that earlier line (for the page's "from the applicants list of …"); the coordinator's page,
    its counts, the saved message and the staff overview all read lines through here.
    """
    earlier = _earlier_answers()
    return lines.annotate(
        earlier_id=Subquery(earlier.values("pk")[:1]),
        answer=Case(
            When(answered_q(), then=F("decision")),
            default=Subquery(earlier.values("decision")[:1]),
        ),
    )


def partner_list_progress(*, lists) -> dict[int, tuple[int, int]]:
    """(answered, total) students per list; a staff record on a list's line counts as an answer, and so does an
    answer carried from an earlier list (``lines_with_answers``)."""
    counts = (
        lines_with_answers(Recommendation.objects.filter(partner_list__in=lists)).values("partner_list_id")
        .annotate(total=Count("pk"), answered=Count("answer")).order_by()
    )
    return {c["partner_list_id"]: (c["answered"], c["total"]) for c in counts}


def lists_with_progress(lists: QuerySet[PartnerList]) -> QuerySet[PartnerList]:
    """``answered_count`` and ``line_count`` on each list, counted by ``lines_with_answers`` (the admin's list
    of partner lists shows the same figures as the coordinator's page and the term overview)."""
    def count(lines: QuerySet[Recommendation]):
        return Coalesce(Subquery(lines.values("partner_list_id").annotate(n=Count("pk")).values("n")[:1]), 0)

    own = Recommendation.objects.filter(partner_list=OuterRef("pk")).order_by()
    return lists.annotate(
        answered_count=count(lines_with_answers(own).filter(answer__isnull=False)), line_count=count(own),
    )


@dataclass(frozen=True)
class Tally:
    recommended: int
    not_recommended: int
    unanswered: int


def partner_list_tally(*, partner_list: PartnerList) -> Tally:
    """How the list's students stand now, counted by ``lines_with_answers``: recommended, not, still unanswered."""
    counts = Counter(
        lines_with_answers(Recommendation.objects.filter(partner_list=partner_list)).values_list("answer", flat=True)
    )
    return Tally(
        recommended=counts[Recommendation.Decision.RECOMMENDED],
        not_recommended=counts[Recommendation.Decision.NOT_RECOMMENDED],
        unanswered=counts[None],
    )


def partner_list_mail_states(*, list_ids) -> dict[int, Counter]:
    states: dict[int, Counter] = {}
    for params, status in OutgoingMail.objects.filter(kind="partner_list", params__list_id__in=list(list_ids)).values_list(
        "params", "status"
    ):
        states.setdefault(params["list_id"], Counter())[status] += 1
    return states


@dataclass
class OverviewCell:
    kind: str
    label: str
    applies: bool
    eligible: int = 0
    partner_list: PartnerList | None = None
    answered: int = 0
    total: int = 0
    mail: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class OverviewRow:
    partner: Institution
    cells: list[OverviewCell]


def partner_list_overview(*, term: Term) -> list[OverviewRow]:
    """Staff page per term: every partner with students or lists × every kind of list."""
    lists = {(pl.partner_id, pl.kind): pl for pl in PartnerList.objects.filter(term=term)}
    progress = partner_list_progress(lists=list(lists.values()))
    mail = partner_list_mail_states(list_ids=[pl.pk for pl in lists.values()])
    partner_ids = set(
        TemporaryIdApplication.objects.filter(term=term, status__in=LISTED_APPLICATION_STATUSES).values_list("partner_id", flat=True)
    ) | {partner_id for partner_id, _kind in lists}
    # One count query per kind, not one per partner and kind.
    eligible = {
        (count["partner_id"], kind): count["students"]
        for kind in PartnerList.Kind.values
        for count in _kind_applications(term_id=term.pk, kind=kind).filter(partner_id__in=partner_ids)
        .values("partner_id").annotate(students=Count("pk")).order_by()
    }
    rows = []
    for partner in Institution.objects.filter(pk__in=partner_ids).prefetch_related("contacts").order_by("code"):
        cells = []
        for kind, label in PartnerList.Kind.choices:
            cell = OverviewCell(kind=kind, label=label, applies=partner_list_applies(partner=partner, kind=kind))
            cell.partner_list = lists.get((partner.pk, kind))
            if cell.partner_list is not None:
                cell.answered, cell.total = progress.get(cell.partner_list.pk, (0, 0))
                labels = dict(OutgoingMail.Status.choices)
                cell.mail = [(labels.get(s, s), n) for s, n in sorted(mail.get(cell.partner_list.pk, Counter()).items())]
            elif cell.applies:
                cell.eligible = eligible.get((partner.pk, kind), 0)
            cells.append(cell)
        rows.append(OverviewRow(partner=partner, cells=cells))
    return rows


@dataclass
class VerificationLine:
    """One student on the coordinator's page: the snapshot row and the answer line, labelled in the page's language."""

    number: int
    row: dict
    recommendation: Recommendation
    degree_label: str
    status_label: str
    courses: list[str]
    # What the page's choice and comment show: the line's own answer, else one carried from an earlier list.
    decision: str = ""
    comment: str = ""
    carried_from: Recommendation | None = None  # the earlier list's line the shown answer comes from


def verification_lines(*, partner_list: PartnerList) -> list[VerificationLine]:
    lines = {r.application_id: r for r in lines_with_answers(Recommendation.objects.filter(partner_list=partner_list))}
    earlier = {
        r.pk: r for r in Recommendation.objects.filter(pk__in=[r.earlier_id for r in lines.values() if r.earlier_id])
        .select_related("partner_list")
    }
    result = []
    for number, row in enumerate(partner_list.rows, start=1):
        courses = [
            f"{c['code']}-{c['section']} {bilingual(c['title_ko'], c['title_en'])} ({c['credits']})"
            for c in row.get("courses") or []
        ]
        status = row.get("application_status")
        line = lines[row["application_id"]]
        carried = earlier.get(line.earlier_id) if line.decision == Recommendation.Decision.PENDING else None
        result.append(VerificationLine(
            number=number, row=row, recommendation=line,
            degree_label=_label(TemporaryIdApplication.DegreeLevel, row["degree_level"]),
            status_label=_label(TemporaryIdApplication.Status, status) if status else "",
            courses=courses,
            decision=carried.decision if carried else line.decision,
            comment=carried.comment if carried else line.comment,
            carried_from=carried,
        ))
    return result


def _label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code
