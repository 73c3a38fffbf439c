"""Demo data for `make run`: idempotent, safe to run on every start over its own data.

It publishes its passwords (``admin`` / ``admin-demo-2026`` among them), so it refuses:

* without DEBUG, always (there is no override);
* on a database that holds non-demo data. The demo gives every person it creates an e-mail address
  under a reserved domain that can never be delivered (RFC 2606: ``….example``, ``….invalid``). So
  *non-demo data* is any user account, temporary-ID application or partner contact whose e-mail
  address is anything else, an empty address included (``createsuperuser`` without e-mail). Real
  people always have a real address; the refusal names what it found.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from academics.models import Campus, College, Department, Institution, InstitutionContact, Term, TermWindow
from accounts.models import TemporaryStudentId, User
from accounts.roles import ensure_roles
from accounts.services import temporary_id_allocate
from affiliation.demo import HOME_PASSWORD as AFFILIATION_PASSWORD
from affiliation.demo import load_affiliation_demo
from core import dates
from core.language import ENGLISH, KOREAN
from creditexchange.demo import load_partner_list_demo, load_transcripts_demo
from creditexchange.models import ApplicationEvent, CourseOffering, TemporaryIdApplication, TimeSlot
from creditexchange.services import registration_submit
from notices.demo import load_notice_demo

STAFF_PASSWORD = "registrar-demo-2026"  # noqa: S105 - demo only, printed on start
ADMIN_PASSWORD = "admin-demo-2026"  # noqa: S105
STUDENT_PASSWORD = "student-demo-2026"  # noqa: S105


# Reserved by RFC 2606 and never deliverable: the only domains the demo uses for its people.
DEMO_EMAIL_SUFFIXES = (".example", ".invalid")
BLOCKERS_SHOWN = 5


def _real(model, field: str, label_field: str) -> list[str]:
    demo = Q()
    for suffix in DEMO_EMAIL_SUFFIXES:
        demo |= Q(**{f"{field}__iendswith": suffix})
    found = model.objects.exclude(demo).order_by("pk").values_list(label_field, field)[:BLOCKERS_SHOWN]
    return [f"{model._meta.verbose_name} {label!s} <{email or 'no e-mail'}>" for label, email in found]


def demo_data_blockers() -> list[str]:
    """What makes this database non-demo (see the module docstring); empty when loading is safe."""
    return (
        _real(User, "email", "username")
        + _real(TemporaryIdApplication, "email", "home_student_number")
        + _real(InstitutionContact, "email", "institution__code")
    )


def _at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return dates.moment(day, time(hour, minute))


class Command(BaseCommand):
    help = "Load demo data (host university, partners, an open term, staff accounts)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for local development only and needs DEBUG=true (`make run` sets it).")
        with transaction.atomic():
            blockers = demo_data_blockers()
            if blockers:
                raise CommandError(
                    "This database holds non-demo data, so no demo data (with its published passwords) is loaded "
                    "into it: " + "; ".join(blockers) + ". Use an empty database for the demo."
                )
            self._reference()
            term = self._terms()
            self._people(term)
            self._courses()
            self._basket_term()
            affiliation_logins = load_affiliation_demo()
            load_partner_list_demo()
            load_transcripts_demo()
            load_notice_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        base = settings.PORTAL_BASE_URL  # the port of `make run PORT=…`
        self.stdout.write(f"  Registrar staff:  registrar / {STAFF_PASSWORD}   ({base}/admin/)")
        self.stdout.write(f"  Superuser:        admin / {ADMIN_PASSWORD}")
        self.stdout.write(f"  Staff 2FA:        {base}/accounts/two-factor/ (optional here; required when DEBUG is off)")
        returning = TemporaryStudentId.objects.get(partner__code="hanbit", home_student_number="20230001")
        self.stdout.write(
            f"  Returning student: {returning.student_id} / {STUDENT_PASSWORD}"
            " (Hanbit University, 20230001, born 2003-05-17)"
        )
        self.stdout.write(f"  Change of affiliation (home students: password {AFFILIATION_PASSWORD}, /affiliation/):")
        for login, label in affiliation_logins:
            self.stdout.write(f"    {login:<10} {label}")
        self.stdout.write(f"  Sent mail:        {base}/dev/mailbox/")

    def _reference(self) -> None:
        host, _ = Institution.objects.update_or_create(
            code="ust", defaults={"kind": Institution.Kind.HOST, "name_ko": "UST 대학교", "name_en": "UST University"}
        )
        seoul, _ = Campus.objects.update_or_create(
            code="seoul", defaults={"institution": host, "name_ko": "서울캠퍼스", "name_en": "Seoul Campus", "is_main": True}
        )
        sejong, _ = Campus.objects.update_or_create(
            code="sejong", defaults={"institution": host, "name_ko": "세종캠퍼스", "name_en": "Sejong Campus"}
        )
        colleges = {}
        for code, ko, en, excluded in [
            ("engineering", "공과대학", "College of Engineering", False),
            ("science", "자연과학대학", "College of Natural Sciences", False),
            ("business", "경영대학", "Business School", False),
            ("medicine", "의과대학", "College of Medicine", True),
            ("education", "사범대학", "College of Education", True),
        ]:
            colleges[code], _ = College.objects.update_or_create(
                code=code, defaults={"name_ko": ko, "name_en": en, "excluded_from_affiliation_change": excluded}
            )
        for code, ko, en, college, campus in [
            ("cse", "컴퓨터학과", "Computer Science and Engineering", "engineering", seoul),
            ("ee", "전기전자공학부", "Electrical Engineering", "engineering", seoul),
            ("math", "수학과", "Mathematics", "science", seoul),
            ("biz", "경영학과", "Business Administration", "business", seoul),
            ("med", "의학과", "Medicine", "medicine", seoul),
            ("edu-math", "수학교육과", "Mathematics Education", "education", seoul),
            ("sj-cse", "컴퓨터융합소프트웨어학과", "Computer Convergence Software", "engineering", sejong),
            ("sj-math", "응용수리과학과", "Applied Mathematics", "science", sejong),
            ("sj-biz", "글로벌경영학과", "Global Business", "business", sejong),
        ]:
            Department.objects.update_or_create(
                code=code, defaults={"name_ko": ko, "name_en": en, "college": colleges[college], "campus": campus}
            )
        Lang, Basis = Institution.MailLanguage, Institution.VerificationBasis
        for code, ko, en, active, lang, basis, contact in [
            ("hanbit", "한빛대학교", "Hanbit University", True, Lang.KO, Basis.APPLICATION, "exchange@hanbit.example"),
            ("garam", "가람대학교", "Garam University", True, Lang.EN, Basis.REGISTRATION, "intl@garam.example"),
            ("nuri", "누리대학교", "Nuri University", False, Lang.KO, Basis.APPLICATION, "credit@nuri.example"),
        ]:
            partner, _ = Institution.objects.update_or_create(
                code=code,
                defaults={
                    "kind": Institution.Kind.PARTNER, "name_ko": ko, "name_en": en, "agreement_active": active,
                    "mail_language": lang, "verification_basis": basis,
                },
            )
            InstitutionContact.objects.get_or_create(institution=partner, email=contact, defaults={"name": en})

    def _terms(self) -> Term:
        today = dates.today()
        target = today + timedelta(days=90)
        season = Term.Season.SPRING if target.month <= 6 else Term.Season.FALL
        term, _ = Term.objects.get_or_create(year=target.year, season=season)
        # Relative to today, so the application window is open whenever the demo is started.
        windows = {
            TermWindow.Kind.APPLICATION: (_at(today - timedelta(days=7)), _at(today + timedelta(days=60))),
            TermWindow.Kind.COURSE_OPENING: (_at(today + timedelta(days=60)), _at(today + timedelta(days=74))),
            TermWindow.Kind.REGISTRATION: (_at(today + timedelta(days=78), 9), _at(today + timedelta(days=87), 18)),
            TermWindow.Kind.CHANGE: (_at(today + timedelta(days=90)), _at(today + timedelta(days=104))),
        }
        for kind, (start, end) in windows.items():
            TermWindow.objects.update_or_create(term=term, kind=kind, defaults={"starts_at": start, "ends_at": end})
        previous_season = Term.Season.FALL if season == Term.Season.SPRING else Term.Season.SPRING
        previous_year = term.year - 1 if season == Term.Season.SPRING else term.year
        previous, _ = Term.objects.get_or_create(year=previous_year, season=previous_season)
        start = today - timedelta(days=200)
        TermWindow.objects.get_or_create(
            term=previous, kind=TermWindow.Kind.APPLICATION,
            defaults={"starts_at": _at(start), "ends_at": _at(start + timedelta(days=30))},
        )
        self.previous_term = previous
        self.previous_year = previous.year
        return term

    def _people(self, term: Term) -> None:
        ensure_roles()
        staff, created = User.objects.get_or_create(
            username="registrar", defaults={"is_staff": True, "display_name": "학사지원팀", "email": "registrar@portal.invalid"}
        )
        if created:
            staff.set_password(STAFF_PASSWORD)
            staff.save()
        staff.groups.add(Group.objects.get(name="registrar"))
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@portal.invalid", ADMIN_PASSWORD)

        hanbit = Institution.objects.get(code="hanbit")
        if not TemporaryStudentId.objects.filter(partner=hanbit, home_student_number="20230001").exists():
            student_id = temporary_id_allocate(year=self.previous_year)
            user = User.objects.create_user(
                student_id, "jiwoo.lee@hanbit.example", STUDENT_PASSWORD, display_name="이지우 / LEE JIWOO",
                phone="010-1234-5678", kind=User.Kind.EXCHANGE,
            )
            identity = TemporaryStudentId.objects.create(
                student_id=student_id, partner=hanbit, home_student_number="20230001", user=user
            )
            old = TemporaryIdApplication.objects.create(
                term=self.previous_term, partner=hanbit, home_student_number="20230001", name_ko="이지우",
                name_latin="LEE JIWOO", date_of_birth=date(2003, 5, 17), email=user.email, phone=user.phone,
                home_department="컴퓨터공학과", degree_level=TemporaryIdApplication.DegreeLevel.BACHELOR, consent_at=timezone.now(),
                status=TemporaryIdApplication.Status.ISSUED, confirmed_at=timezone.now(), decided_at=timezone.now(), issued_at=timezone.now(),
                temporary_id=identity,
            )
            ApplicationEvent.objects.create(application=old, from_status="", to_status=TemporaryIdApplication.Status.ISSUED, reason="demo data")
        garam = Institution.objects.get(code="garam")
        for number, name_ko, name_latin, dob, email, status in [
            ("G2024117", "", "Emma Schulz", date(2002, 11, 3), "emma.schulz@garam.example", TemporaryIdApplication.Status.CONFIRMED),
            ("20240002", "김민준", "KIM MINJUN", date(2004, 1, 9), "minjun.kim@hanbit.example", TemporaryIdApplication.Status.CONFIRMED),
        ]:
            partner = garam if number.startswith("G") else hanbit
            application, created = TemporaryIdApplication.objects.get_or_create(
                term=term, partner=partner, home_student_number=number,
                defaults={
                    "name_ko": name_ko, "name_latin": name_latin, "date_of_birth": dob, "email": email,
                    "phone": "010-5555-0101", "home_department": "Computer Science", "degree_level": TemporaryIdApplication.DegreeLevel.BACHELOR,
                    "consent_at": timezone.now(), "status": status, "confirmed_at": timezone.now(),
                    "language": ENGLISH if partner == garam else KOREAN,
                },
            )
            if created:
                ApplicationEvent.objects.create(application=application, from_status="", to_status=status, reason="demo data")

    def _courses(self) -> None:
        """A winter session in its registration window, ~30 offerings, some nearly full."""
        today = dates.today()
        term, _ = Term.objects.get_or_create(year=self.previous_year, season=Term.Season.WINTER)
        windows = {
            TermWindow.Kind.APPLICATION: (_at(today - timedelta(days=40)), _at(today - timedelta(days=10))),
            TermWindow.Kind.COURSE_OPENING: (_at(today - timedelta(days=20)), _at(today - timedelta(days=6))),
            TermWindow.Kind.REGISTRATION: (_at(today - timedelta(days=3), 9), _at(today + timedelta(days=10), 18)),
            TermWindow.Kind.CHANGE: (_at(today + timedelta(days=12)), _at(today + timedelta(days=20))),
        }
        for kind, (start, end) in windows.items():
            TermWindow.objects.update_or_create(term=term, kind=kind, defaults={"starts_at": start, "ends_at": end})
        if CourseOffering.objects.filter(term=term).exists():
            return
        departments = {d.code: d for d in Department.objects.select_related("campus")}
        subjects = [
            ("CSE", "cse", "자료구조", "Data Structures"), ("CSE", "cse", "운영체제", "Operating Systems"),
            ("CSE", "cse", "데이터베이스", "Databases"), ("CSE", "cse", "컴퓨터네트워크", "Computer Networks"),
            ("CSE", "cse", "인공지능", "Artificial Intelligence"), ("CSE", "cse", "알고리즘", "Algorithms"),
            ("EE", "ee", "회로이론", "Circuit Theory"), ("EE", "ee", "신호및시스템", "Signals and Systems"),
            ("EE", "ee", "전자기학", "Electromagnetics"), ("EE", "ee", "디지털논리", "Digital Logic"),
            ("MATH", "math", "선형대수", "Linear Algebra"), ("MATH", "math", "해석학", "Analysis"),
            ("MATH", "math", "확률론", "Probability"), ("MATH", "math", "미분방정식", "Differential Equations"),
            ("BIZ", "biz", "회계원리", "Principles of Accounting"), ("BIZ", "biz", "마케팅", "Marketing"),
            ("BIZ", "biz", "재무관리", "Financial Management"), ("BIZ", "biz", "경영전략", "Business Strategy"),
            ("SJC", "sj-cse", "웹프로그래밍", "Web Programming"), ("SJC", "sj-cse", "모바일프로그래밍", "Mobile Programming"),
            ("SJC", "sj-cse", "소프트웨어공학", "Software Engineering"), ("SJM", "sj-math", "수치해석", "Numerical Analysis"),
            ("SJM", "sj-math", "통계학", "Statistics"), ("SJB", "sj-biz", "국제경영", "International Business"),
            ("SJB", "sj-biz", "무역실무", "International Trade"), ("KOR", "biz", "한국어회화", "Korean Conversation"),
            ("KOR", "biz", "한국문화의 이해", "Understanding Korean Culture"), ("CSE", "cse", "컴파일러", "Compilers"),
            ("EE", "ee", "반도체공학", "Semiconductor Engineering"), ("MATH", "math", "정수론", "Number Theory"),
        ]
        published = _at(today - timedelta(days=15))
        for index, (prefix, dept, title_ko, title_en) in enumerate(subjects):
            department = departments[dept]
            day, period = index % 5, index % 4
            start_hour = 9 + period * 2
            offering = CourseOffering.objects.create(
                term=term, code=f"{prefix}{2000 + index * 10}", section="01", title_ko=title_ko, title_en=title_en,
                credits=3 if index % 6 else 2, capacity=3 if index % 7 == 0 else 25 + index % 10,
                instructor=f"교수{index + 1}", department=department, campus=department.campus,
                location=f"{'S' if department.campus.code == 'sejong' else 'E'}{100 + index}", published_at=published,
            )
            TimeSlot.objects.create(offering=offering, weekday=day, starts_at=time(start_hour), ends_at=time(start_hour + 1, 30))
            TimeSlot.objects.create(offering=offering, weekday=(day + 2) % 5, starts_at=time(start_hour), ends_at=time(start_hour + 1, 30))
        self._fill_some(term)

    def _basket_term(self) -> None:
        """A summer session in its course-opening window (issue 14): the returning student fills a basket there."""
        today = dates.today()
        winter = Term.objects.get(year=self.previous_year, season=Term.Season.WINTER)
        term, _ = Term.objects.get_or_create(year=winter.year + 1, season=Term.Season.SUMMER)
        windows = {
            TermWindow.Kind.COURSE_OPENING: (_at(today - timedelta(days=3)), _at(today + timedelta(days=20))),
            TermWindow.Kind.REGISTRATION: (_at(today + timedelta(days=21), 9), _at(today + timedelta(days=30), 18)),
            TermWindow.Kind.CHANGE: (_at(today + timedelta(days=31)), _at(today + timedelta(days=38))),
        }
        for kind, (start, end) in windows.items():
            TermWindow.objects.update_or_create(term=term, kind=kind, defaults={"starts_at": start, "ends_at": end})
        if not CourseOffering.objects.filter(term=term).exists():
            for index, (source, day, hour) in enumerate(zip(CourseOffering.objects.filter(term=winter)[:6], (0, 0, 1, 2, 3, 4), (9, 10, 13, 9, 15, 11), strict=True)):
                offering = CourseOffering.objects.create(
                    term=term, code=source.code, section="S1", title_ko=source.title_ko, title_en=source.title_en,
                    credits=3, capacity=20 + index, instructor=source.instructor, department=source.department,
                    campus=source.campus, location=source.location, published_at=_at(today - timedelta(days=2)),
                )
                TimeSlot.objects.create(offering=offering, weekday=day, starts_at=time(hour), ends_at=time(hour + 1, 30))
        returning = TemporaryStudentId.objects.get(partner__code="hanbit", home_student_number="20230001")
        at = _at(today)
        TemporaryIdApplication.objects.get_or_create(
            term=term, partner=returning.partner, home_student_number="20230001",
            defaults={
                "name_ko": "이지우", "name_latin": "LEE JIWOO", "date_of_birth": date(2003, 5, 17),
                "email": returning.user.email, "phone": returning.user.phone, "home_department": "컴퓨터공학과",
                "degree_level": TemporaryIdApplication.DegreeLevel.BACHELOR, "consent_at": at,
                "status": TemporaryIdApplication.Status.ISSUED, "issued_at": at, "temporary_id": returning, "returning": True,
            },
        )

    def _fill_some(self, term: Term) -> None:
        """Other exchange students take seats, so a few offerings are nearly full."""
        garam = Institution.objects.get(code="garam")
        at = _at(dates.today())
        crowded = list(CourseOffering.objects.filter(term=term, capacity=3))
        for number in range(1, 3):
            home_number = f"W{number:04d}"
            student_id = temporary_id_allocate(year=term.year)
            user = User.objects.create_user(
                student_id, f"winter{number}@garam.example", None, display_name=f"Winter {number}", kind=User.Kind.EXCHANGE
            )
            identity = TemporaryStudentId.objects.create(student_id=student_id, partner=garam, home_student_number=home_number, user=user)
            TemporaryIdApplication.objects.create(
                term=term, partner=garam, home_student_number=home_number, name_latin=f"Winter {number}",
                date_of_birth=date(2002, 1, number), email=user.email, phone="010-0000-0000", home_department="CS",
                degree_level=TemporaryIdApplication.DegreeLevel.BACHELOR, consent_at=at, status=TemporaryIdApplication.Status.ISSUED, issued_at=at, temporary_id=identity, language=ENGLISH,
            )
            for offering in crowded:
                try:
                    registration_submit(student=user, offering_id=offering.pk, at=max(at, timezone.now()))
                except Exception:  # a time clash between two crowded demo courses is fine to skip
                    continue
        if crowded:  # one crowded course is full: students join its waitlist (issue 14)
            full = crowded[0]
            full.refresh_from_db()
            CourseOffering.objects.filter(pk=full.pk).update(capacity=full.seats_taken)
        returning = TemporaryStudentId.objects.get(partner__code="hanbit", home_student_number="20230001")
        TemporaryIdApplication.objects.get_or_create(
            term=term, partner=returning.partner, home_student_number="20230001",
            defaults={
                "name_ko": "이지우", "name_latin": "LEE JIWOO", "date_of_birth": date(2003, 5, 17),
                "email": returning.user.email, "phone": returning.user.phone, "home_department": "컴퓨터공학과",
                "degree_level": TemporaryIdApplication.DegreeLevel.BACHELOR, "consent_at": at, "status": TemporaryIdApplication.Status.ISSUED, "issued_at": at,
                "temporary_id": returning, "returning": True,
            },
        )
