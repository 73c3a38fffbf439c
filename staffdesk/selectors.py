"""Reads of the staff dashboard: per term, each figure set from aggregate queries over the apps' models.

Every section costs a fixed number of queries whatever the data (one for applications, one for
registrations, one for recommendations, three for the change of affiliation, one for the term
picker); tests assert the counts. A figure set is a header and rows of plain values (text,
integers, decimals) — the very cells shown in the HTML table and written to CSV/XLSX — plus the
bars of its chart. Labels follow the active language (Korean by default).

Definitions where the spec is silent:

- **Applications** count every temporary-ID application of the term by its current state.
- **Registrations** count rows (``registered`` now, and ``dropped``) per offering, not the
  ``seats_taken`` counter; fill rate = registered ÷ capacity in per cent, one decimal, half up.
- **Recommendations**: every student (application) of the term with at least one recommendation
  line (on a sent list or a staff record) counts once, under their *latest answered* decision —
  the one that decides credit — or as not answered yet.
- **Change of affiliation** (the term's round, if any), per department applied to or with a quota:
  applicants = submitted applications (drafts are not applications); competition ratio =
  applicants ÷ quota (two decimals; none when the quota is 0); passed stage 1 = every state stage 2
  starts from; admitted = the final pass, also when later confirmed or cancelled.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from academics.models import Term
from affiliation.models import AffiliationApplication, AffiliationRound, DepartmentQuota
from core import dates
from core.language import bilingual
from creditexchange.models import CourseOffering, CourseRegistration, Recommendation, TemporaryIdApplication

from .charts import bar_chart

Decision = Recommendation.Decision
AffStatus = AffiliationApplication.Status
PASSED_STAGE1 = [AffStatus.STAGE1_PASSED, AffStatus.ADMITTED, AffStatus.NOT_ADMITTED, AffStatus.CANCELLED, AffStatus.CONFIRMED]
ADMITTED = [AffStatus.ADMITTED, AffStatus.CANCELLED, AffStatus.CONFIRMED]


@dataclass
class Figure:
    """One chart with its table and downloads."""

    key: str
    title: str
    header: list[str]
    rows: list[list]
    bars: list[tuple[str, object]]
    max_value: object = None
    suffix: str = ""
    note: str = ""

    @property
    def table(self) -> list[list]:
        return [self.header, *self.rows]

    @property
    def chart(self) -> SafeString:
        return bar_chart(self.bars, title=self.title, max_value=self.max_value, suffix=self.suffix, empty_text=str(_("No data")))


@dataclass
class Section:
    key: str
    title: str
    permission: str
    figure_keys: list[str]
    figures: list[Figure] = field(default_factory=list)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- Terms -------------------------------------------------------------------------------------------------------


def dashboard_terms(
    at: datetime | None = None, *, windows: bool = True, rounds: bool = True
) -> tuple[list[Term], Term | None]:
    """Every term, newest first, and the current one (one query).

    A term is in progress from the start of its first window to the end of its last (``windows``:
    the credit-exchange schedule) and from its affiliation round's opening to its final results
    (``rounds``); a user sees the spans of their own sections. Current = the oldest term in progress
    at ``at`` (the one closest to being finished); else the next to begin; else the newest.
    """
    at = at or timezone.now()
    terms = list(
        Term.objects.annotate(
            first_opens=Min("windows__starts_at"), last_closes=Max("windows__ends_at"),
            round_opens=Min("affiliation_round__opens_at"), round_closes=Max("affiliation_round__final_publish_at"),
        ).order_by()
    )
    terms.sort(key=lambda t: t.academic_key, reverse=True)
    spans = []
    for term in terms:
        starts = [s for s, wanted in ((term.first_opens, windows), (term.round_opens, rounds)) if wanted and s is not None]
        ends = [e for e, wanted in ((term.last_closes, windows), (term.round_closes, rounds)) if wanted and e is not None]
        if starts and ends:
            spans.append((min(starts), max(ends), term))
    current = [term for start, end, term in spans if dates.is_open(start, end, at)]
    if current:
        return terms, current[-1]  # terms are newest first
    upcoming = [(start, term) for start, _end, term in spans if start > at]
    if upcoming:
        return terms, min(upcoming, key=lambda pair: pair[0])[1]
    return terms, (terms[0] if terms else None)


# --- Credit exchange ---------------------------------------------------------------------------------------------


def application_figures(term: Term) -> list[Figure]:
    """Temporary-ID applications by state and by partner (one query)."""
    counts = (
        TemporaryIdApplication.objects.filter(term=term)
        .values("partner_id", "partner__name_ko", "partner__name_en", "status")
        .annotate(count=Count("pk")).order_by()
    )
    statuses = TemporaryIdApplication.Status
    by_status = dict.fromkeys(statuses.values, 0)
    partners: dict[int, dict] = {}
    for row in counts:
        by_status[row["status"]] += row["count"]
        partner = partners.setdefault(
            row["partner_id"], {"name": bilingual(row["partner__name_ko"], row["partner__name_en"]), **dict.fromkeys(statuses.values, 0)}
        )
        partner[row["status"]] += row["count"]
    status_rows = [[str(statuses(value).label), by_status[value]] for value in statuses.values]
    partner_rows = [
        [p["name"], *(p[value] for value in statuses.values), sum(p[value] for value in statuses.values)]
        for _pk, p in sorted(partners.items(), key=lambda item: (item[1]["name"], item[0]))
    ]
    total = sum(by_status.values())
    return [
        Figure(
            key="applications_by_status", title=str(_("Applications by state")),
            header=[str(_("State")), str(_("Number of applications"))], rows=status_rows,
            bars=[(label, count) for label, count in status_rows],
            note=ngettext("%(count)s application in all.", "%(count)s applications in all.", total) % {"count": total},
        ),
        Figure(
            key="applications_by_partner", title=str(_("Applications by partner university")),
            header=[str(_("Partner university")), *(str(label) for label in statuses.labels), str(_("Total"))],
            rows=partner_rows, bars=[(row[0], row[-1]) for row in partner_rows],
        ),
    ]


def registration_figures(term: Term) -> list[Figure]:
    """Registrations and fill rate per offering (one query)."""
    Status = CourseRegistration.Status
    offerings = (
        CourseOffering.objects.filter(term=term)
        .values("pk", "code", "section", "title_ko", "title_en", "capacity")
        .annotate(
            registered=Count("registrations", filter=Q(registrations__status=Status.REGISTERED)),
            dropped=Count("registrations", filter=Q(registrations__status=Status.DROPPED)),
        )
        .order_by("code", "section")
    )
    rows = [
        [
            o["code"], o["section"], bilingual(o["title_ko"], o["title_en"]), o["capacity"], o["registered"],
            max(o["capacity"] - o["registered"], 0), _percent(o["registered"], o["capacity"]), o["dropped"],
        ]
        for o in offerings
    ]
    registered, capacity = sum(r[4] for r in rows), sum(r[3] for r in rows)
    return [
        Figure(
            key="registrations_by_offering", title=str(_("Registrations and fill rate per course offering")),
            header=[
                str(_("Course code")), str(_("Section")), str(_("Course title")), str(_("Capacity")), str(_("Registered")),
                str(_("Seats left")), str(_("Fill rate (%)")), str(_("Dropped")),
            ],
            rows=rows, bars=[(f"{r[0]}-{r[1]} {r[2]}", r[6]) for r in rows], max_value=100, suffix="%",
            note=str(
                _("%(registered)s registrations for %(capacity)s seats in %(offerings)s offerings.")
                % {"registered": registered, "capacity": capacity, "offerings": len(rows)}
            ),
        )
    ]


def recommendation_figures(term: Term) -> list[Figure]:
    """Recommendation progress per partner: each listed student once, by their latest answer (one query)."""
    latest = (
        Recommendation.objects.filter(application=OuterRef("pk")).answered().latest_first().values("decision")[:1]
    )
    counts = (
        TemporaryIdApplication.objects.filter(term=term)
        .filter(Exists(Recommendation.objects.filter(application=OuterRef("pk"))))
        .annotate(latest_decision=Coalesce(Subquery(latest), Value(Decision.PENDING.value)))
        .values("partner_id", "partner__name_ko", "partner__name_en", "latest_decision")
        .annotate(count=Count("pk")).order_by()
    )
    partners: dict[int, dict] = {}
    for row in counts:
        partner = partners.setdefault(
            row["partner_id"], {"name": bilingual(row["partner__name_ko"], row["partner__name_en"]), **dict.fromkeys(Decision.values, 0)}
        )
        partner[row["latest_decision"]] += row["count"]
    rows = []
    for _pk, p in sorted(partners.items(), key=lambda item: (item[1]["name"], item[0])):
        students = sum(p[value] for value in Decision.values)
        answered = p[Decision.RECOMMENDED] + p[Decision.NOT_RECOMMENDED]
        rows.append([
            p["name"], students, p[Decision.RECOMMENDED], p[Decision.NOT_RECOMMENDED], p[Decision.PENDING],
            _percent(answered, students),
        ])
    return [
        Figure(
            key="recommendations_by_partner", title=str(_("Recommendation progress per partner university")),
            header=[
                str(_("Partner university")), str(_("Students")), str(Decision.RECOMMENDED.label),
                str(Decision.NOT_RECOMMENDED.label), str(Decision.PENDING.label), str(_("Answered (%)")),
            ],
            rows=rows, bars=[(r[0], r[5]) for r in rows], max_value=100, suffix="%",
            note=str(_("Each student counts once, with the latest answer (the one that decides credit).")),
        )
    ]


# --- Change of affiliation ---------------------------------------------------------------------------------------


def affiliation_figures(term: Term) -> list[Figure]:
    """Applicants, competition ratio and stage results per department of the term's round (three queries)."""
    header = [
        str(_("Department")), str(_("Quota")), str(_("Applicants")), str(_("Competition ratio (applicants per place)")),
        str(_("Passed stage 1")), str(_("Admitted (final pass)")), str(_("Confirmed")), str(_("Pass cancelled")),
    ]
    figure = Figure(
        key="affiliation_by_department", title=str(_("Change of affiliation per department")), header=header,
        rows=[], bars=[],
    )
    round = AffiliationRound.objects.filter(term=term).first()
    if round is None:
        figure.note = str(_("This term has no change-of-affiliation round."))
        return [figure]
    departments: dict[int, dict] = {}
    # an excluded college's departments take no applicants, whatever their quota: not listed as open places
    quotas = DepartmentQuota.objects.filter(round=round, department__college__excluded_from_affiliation_change=False)
    for quota in quotas.select_related("department"):
        departments[quota.department_id] = {
            "name": bilingual(quota.department.name_ko, quota.department.name_en), "quota": quota.quota,
        }
    counts = (
        AffiliationApplication.objects.filter(round=round).exclude(status=AffStatus.DRAFT)
        .values("target_department_id", "target_department__name_ko", "target_department__name_en")
        .annotate(
            applicants=Count("pk"), passed=Count("pk", filter=Q(status__in=PASSED_STAGE1)),
            admitted=Count("pk", filter=Q(status__in=ADMITTED)), confirmed=Count("pk", filter=Q(status=AffStatus.CONFIRMED)),
            cancelled=Count("pk", filter=Q(status=AffStatus.CANCELLED)),
        )
        .order_by()
    )
    found = {}
    for row in counts:
        found[row["target_department_id"]] = row
        departments.setdefault(
            row["target_department_id"],
            {"name": bilingual(row["target_department__name_ko"], row["target_department__name_en"]), "quota": None},
        )
    for pk, department in sorted(departments.items(), key=lambda item: (item[1]["name"], item[0])):
        row = found.get(pk, {})
        applicants = row.get("applicants", 0)
        figure.rows.append([
            department["name"], department["quota"], applicants, _ratio(applicants, department["quota"]),
            row.get("passed", 0), row.get("admitted", 0), row.get("confirmed", 0), row.get("cancelled", 0),
        ])
    figure.bars = [(r[0], r[2]) for r in figure.rows]
    figure.note = str(
        _("%(applicants)s applicants for %(places)s places.")
        % {"applicants": sum(r[2] for r in figure.rows), "places": sum(r[1] or 0 for r in figure.rows)}
    )
    return [figure]


# --- Sections and access -----------------------------------------------------------------------------------------


# --- Grades and transcripts (issue 15) -------------------------------------------------------------------------


def grade_figures(term: Term) -> list[Figure]:
    """Grade entry (registered / graded / missing, per course) and transcripts per partner (batches, mails); five queries."""
    from core.models import OutgoingMail
    from creditexchange.models import TermGrades, TranscriptBatch

    registered = CourseRegistration.objects.filter(term=term, status=CourseRegistration.Status.REGISTERED)
    per_offering = (
        registered.values("offering_id", "offering__code", "offering__section")
        .annotate(students=Count("pk"), graded=Count("grade")).order_by("offering__code", "offering__section")
    )
    rows = [[f"{r['offering__code']}-{r['offering__section']}", r["students"], r["graded"], r["students"] - r["graded"],
             _percent(r["graded"], r["students"])] for r in per_offering]
    total, done = sum(r[1] for r in rows), sum(r[2] for r in rows)
    state = TermGrades.objects.filter(term=term).first()
    status = state.get_status_display() if state else TermGrades.Status.OPEN.label
    entry = Figure(
        key="grades_by_offering", title=str(_("Grade entry per course")),
        header=[str(_("Course")), str(_("Registered")), str(_("Graded")), str(_("Missing")), str(_("Graded (%)"))],
        rows=[*rows, [str(_("Total")), total, done, total - done, _percent(done, total)]] if rows else [],
        bars=[(r[0], r[4]) for r in rows], max_value=100, suffix="%",
        note=str(_("Grades of this term: %(status)s.") % {"status": status}),
    )
    students = (
        TemporaryIdApplication.objects.filter(term=term, status=TemporaryIdApplication.Status.ISSUED)
        .filter(Exists(registered.filter(student=OuterRef("temporary_id__user"))))
        .values("partner_id", "partner__name_ko", "partner__name_en").annotate(count=Count("pk")).order_by()
    )
    batch_partner = dict(TranscriptBatch.objects.filter(term=term).values_list("pk", "partner_id"))
    issued: dict[int, int] = {}
    for partner_id in batch_partner.values():
        issued[partner_id] = issued.get(partner_id, 0) + 1
    mails: dict[int, dict[str, int]] = {}
    mail_rows = (
        OutgoingMail.objects.filter(kind="transcripts", params__batch_id__in=list(batch_partner))
        .values("params__batch_id", "status").annotate(count=Count("pk")).order_by()
    ) if batch_partner else []
    for row in mail_rows:
        by_status = mails.setdefault(batch_partner.get(row["params__batch_id"]), {})
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["count"]
    transcript_rows = []
    for row in sorted(students, key=lambda r: (r["partner__name_ko"], r["partner_id"])):
        sent = mails.get(row["partner_id"], {})
        transcript_rows.append([
            bilingual(row["partner__name_ko"], row["partner__name_en"]), row["count"], issued.get(row["partner_id"], 0),
            sent.get(OutgoingMail.Status.SENT, 0), sent.get(OutgoingMail.Status.FAILED, 0),
            sent.get(OutgoingMail.Status.QUEUED, 0) + sent.get(OutgoingMail.Status.SENDING, 0),
        ])
    transcripts = Figure(
        key="transcripts_by_partner", title=str(_("Transcripts per partner university")),
        header=[str(_("Partner university")), str(_("Students with courses")), str(_("Batches issued")),
                str(_("Mails sent")), str(_("Mails failed")), str(_("Mails waiting"))],
        rows=transcript_rows, bars=[(r[0], r[2]) for r in transcript_rows],
        note=str(_("A batch after the first is a corrected version.")),
    )
    return [entry, transcripts]


SECTIONS = [
    ("applications", _("Temporary student ID applications"), "creditexchange.view_temporaryidapplication",
     ["applications_by_status", "applications_by_partner"], application_figures),
    ("registrations", _("Course registrations"), "creditexchange.view_courseregistration",
     ["registrations_by_offering"], registration_figures),
    ("recommendations", _("Partner recommendations"), "creditexchange.view_recommendation",
     ["recommendations_by_partner"], recommendation_figures),
    ("affiliation", _("Change of affiliation"), "affiliation.view_affiliationapplication",
     ["affiliation_by_department"], affiliation_figures),
    ("grades", _("Grades and transcripts"), "creditexchange.view_grade",
     ["grades_by_offering", "transcripts_by_partner"], grade_figures),
]
FIGURE_SECTION = {figure_key: key for key, _title, _perm, figure_keys, _fn in SECTIONS for figure_key in figure_keys}


def dashboard_terms_for(user, at: datetime | None = None) -> tuple[list[Term], Term | None]:
    """``dashboard_terms`` with the schedules of the user's sections (all when the user sees none)."""
    sections = set(visible_sections(user))
    credit = bool(sections & {"applications", "registrations", "recommendations", "grades"})
    affiliation = "affiliation" in sections
    if not (credit or affiliation):
        credit = affiliation = True
    return dashboard_terms(at, windows=credit, rounds=affiliation)


def visible_sections(user) -> list[str]:
    """The sections a staff user's group permissions allow (a superuser sees all)."""
    if not (user.is_authenticated and user.is_staff):
        return []
    return [key for key, _title, permission, _keys, _fn in SECTIONS if user.has_perm(permission)]


def dashboard_sections(*, term: Term, user) -> list[Section]:
    """The allowed sections of ``term`` with their figures computed."""
    allowed = set(visible_sections(user))
    return [
        Section(key=key, title=str(title), permission=permission, figure_keys=keys, figures=compute(term))
        for key, title, permission, keys, compute in SECTIONS
        if key in allowed
    ]


def dashboard_figure(*, term: Term, key: str) -> Figure:
    """One figure set by key (for a download); the caller checks the key and the permission."""
    section = FIGURE_SECTION[key]
    compute = next(fn for k, _title, _perm, _keys, fn in SECTIONS if k == section)
    return next(figure for figure in compute(term) if figure.key == key)
