"""Finding 7: crafted input is a 400 or a form error, never a 500 (property-based, on PostgreSQL).

Every public URL of the URLconf has a target below (a test walks the URLconf to keep it so). For
each target hypothesis fills every parameter, in the path, the query string or the form, either
with a valid value or with hostile text: NUL bytes, ``%00``, ``²``, huge and negative numbers, very
long strings, SQL and HTML metacharacters and arbitrary unicode (no lone surrogates: a browser
cannot send them). The answer must be below 500, and a refused form must have written nothing.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academics.models import TermWindow
from accounts.models import TemporaryStudentId, User
from affiliation.models import AffiliationApplication
from core.models import OutgoingMail
from creditexchange import services
from creditexchange.models import (
    ApplicationEvent,
    BasketItem,
    CourseOffering,
    CourseRegistration,
    PartnerList,
    Recommendation,
    TemporaryIdApplication,
    WaitlistEntry,
    WaitlistEvent,
)
from creditexchange.services import waitlist as waitlist_service
from notices.models import Notice

from ..affiliation.conftest import history
from ..creditexchange.partner_list_helpers import build_scene, send
from ..factories import (
    AffiliationApplicationFactory,
    AffiliationRoundFactory,
    CourseOfferingFactory,
    CourseRegistrationFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    NoticeAttachmentFactory,
    NoticeFactory,
    StudentRecordFactory,
    UserFactory,
    affiliation_campus,
    host_campus,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NASTY = [
    "\x00", "a\x00b", "%00", "\x00" * 3, "²", "¹²³", "١٢", "１２", "9" * 25, "-1", "-" + "9" * 30, "0", "00", "1e309",
    "NaN", "inf", " 1 ", "+1", "1.5", "0x10", "' OR '1'='1", "1; DROP TABLE accounts_user;--", '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>", "{{ 7*7 }}", "%s%s%n", "../../etc/passwd", "%", "_", "\\", "\r\n", "𝟙𝟚", "가" * 5000,
    "x" * 10_000, "//evil.example", "https://evil.example/", "javascript:alert(1)", "\\\\evil.example", "/\t/evil.example",
]
HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=5), st.sampled_from(NASTY), st.text(max_size=5)),
    st.text(alphabet="0123456789-²\x00", min_size=1, max_size=30),
)
# Tables a refused form must leave alone (axes' attempt log, sessions and rate-limit counters may change).
WATCHED = [
    TemporaryIdApplication, ApplicationEvent, CourseRegistration, User, TemporaryStudentId, OutgoingMail,
    AffiliationApplication, Recommendation, PartnerList, Notice, BasketItem, WaitlistEntry, WaitlistEvent,
]


@dataclass
class Target:
    name: str
    method: str
    path: str  # may hold {path params}
    params: dict = field(default_factory=dict)  # name → valid value (query string for GET, form for POST)
    path_params: dict = field(default_factory=dict)
    login: str = ""  # "", "exchange", "home" or "staff"
    may_write: object = None  # (values, response) → True where a write is the legitimate outcome


def _always_refused(values, response) -> bool:
    return False


def _redirected(values, response) -> bool:
    return response.status_code == 302


def _valid_path_id(name):
    return lambda values, response: values[name] == World.current.ids[name]


def _any_term(values, response) -> bool:
    return True  # a term that is no number falls back to the catalogue's term, whose basket may register


class World:
    """The rows every target needs, built once per test; ``ids`` are the valid values."""

    current = None

    def __init__(self):
        now = timezone.now()
        scene = build_scene()  # a term past its windows, partners, issued students, a list to verify
        self.partner_list = send(scene, scene.hanbit, PartnerList.Kind.APPLICANTS)
        self.line = Recommendation.objects.filter(partner_list=self.partner_list).first()
        term = scene.term
        TermWindow.objects.filter(term=term, kind__in=[TermWindow.Kind.APPLICATION, TermWindow.Kind.REGISTRATION]).update(
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5),
        )
        self.exchange = scene.han1
        department = DepartmentFactory(campus=host_campus(), code="fuzz")
        offering = CourseOfferingFactory(term=term, code="FUZ100", credits=3, department=department)
        registration = CourseRegistrationFactory(student=self.exchange, offering=offering)
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=1)  # the factory does not count the seat
        # Two full offerings (issue 14): the student waits for one and may join the other's waitlist; a basket item.
        waited, joinable = (CourseOfferingFactory(term=term, code=code, capacity=1, seats_taken=1) for code in ("FUZ200", "FUZ300"))
        entry = waitlist_service.waitlist_join(student=self.exchange, offering_id=waited.pk)
        item = BasketItem.objects.create(student=self.exchange, offering=offering, term=term)
        self.staff = UserFactory(username="fuzz-staff", is_staff=True, kind="staff")
        self.applicant = scene.applicant
        notice = NoticeFactory()
        attachment = NoticeAttachmentFactory(notice=notice)
        round = AffiliationRoundFactory()
        record = StudentRecordFactory(user=UserFactory(email="home@sejong.example", kind="home"))
        history(record, "EEEE")
        main = DepartmentFactory(campus=affiliation_campus(main=True), code="cse")
        DepartmentQuotaFactory(round=round, department=main)
        affiliation = AffiliationApplicationFactory(round=round, record=record)
        self.home = record.user
        confirm_token = services.confirmation_token(
            TemporaryIdApplication.objects.filter(status="submitted").first()
        )
        self.ids = {
            "notice_id": str(notice.pk), "attachment_id": str(attachment.pk), "offering_id": str(offering.pk),
            "registration_id": str(registration.pk), "term": str(term.pk), "partner": str(scene.hanbit.pk),
            "application_id": str(affiliation.pk), "year": str(term.year), "season": term.season,
            "department": department.code, "campus": department.campus.code, "round_department": str(main.pk),
            "confirm_token": confirm_token, "verify_token": services.partner_list_token(self.partner_list),
            "line": str(self.line.pk), "entry_id": str(entry.pk), "item_id": str(item.pk),
            "full_offering_id": str(joinable.pk),
        }


def targets() -> list[Target]:
    ids = World.current.ids
    applicant = World.current.applicant
    return [
        Target("home", "get", "/", {"page": "1"}),
        Target("notices", "get", "/notices/", {"q": "notice", "category": "general", "page": "1"}),
        Target("notice", "get", "/notices/{notice_id}/", path_params={"notice_id": ids["notice_id"]}),
        Target("attachment", "get", "/notices/{notice_id}/attachments/{attachment_id}/",
               path_params={"notice_id": ids["notice_id"], "attachment_id": ids["attachment_id"]}),
        Target("catalogue", "get", "/credit-exchange/courses/", {
            "q": "FUZ", "department": ids["department"], "campus": ids["campus"], "weekday": "1", "credits": "3",
            "page": "1", "term": ids["term"],
        }),
        Target("catalogue_student", "get", "/credit-exchange/courses/", {"q": "", "page": "2", "term": ids["term"]},
               login="exchange"),
        Target("my_registrations", "get", "/credit-exchange/registrations/", {"term": ids["term"]}, login="exchange"),
        Target("my_grades", "get", "/credit-exchange/grades/", {"term": ids["term"]}, login="exchange"),
        Target("my_transcript_pdf", "get", "/credit-exchange/grades/transcripts/{code}/pdf/",
               path_params={"code": "ABCDEFGHJKMNPQRS"}, login="exchange"),
        Target("calendar", "get", "/calendar.ics", {"since": "2026"}),
        Target("term_calendar", "get", "/calendar/{year}-{season}.ics",
               path_params={"year": ids["year"], "season": ids["season"]}),
        Target("apply", "post", "/credit-exchange/apply/", {
            "term": ids["term"], "partner": ids["partner"], "home_student_number": "H900", "name_ko": "김하늘",
            "name_latin": "KIM HANEUL", "date_of_birth": "2003-04-05", "email": "sky@hanbit.example",
            "phone": "010-2222-3333", "home_department": "경영학과", "degree_level": "bachelor", "consent": "on",
        }, may_write=_redirected),
        Target("lookup", "post", "/credit-exchange/apply/result/", {
            "partner": ids["partner"], "home_student_number": applicant.home_student_number,
            "date_of_birth": applicant.date_of_birth.isoformat(), "send_link": "1",
        }, may_write=_always_refused),
        Target("resend", "post", "/credit-exchange/apply/resend/", {"token": "x"}, may_write=_always_refused),
        Target("confirm", "get", "/credit-exchange/apply/confirm/{confirm_token}/",
               path_params={"confirm_token": ids["confirm_token"] + "x"}),
        Target("confirm_post", "post", "/credit-exchange/apply/confirm/{confirm_token}/", {"confirm": "1"},
               path_params={"confirm_token": ids["confirm_token"] + "x"}, may_write=_always_refused),
        Target("verify", "get", "/credit-exchange/verify/{verify_token}/",
               path_params={"verify_token": ids["verify_token"]}),
        Target("verify_post", "post", "/credit-exchange/verify/{verify_token}/", {
            f"decision-{ids['line']}": "recommended", f"comment-{ids['line']}": "ok",
        }, path_params={"verify_token": ids["verify_token"]}, may_write=_always_refused),
        Target("password_link", "post", "/accounts/password/", {"username": "S2024101", "email": "a@b.example"},
               may_write=_always_refused),
        Target("login", "post", "/accounts/login/?next=/notices/", {"username": "T202700001", "password": "wrong-pw"},
               may_write=_always_refused),
        Target("set_password", "get", "/accounts/set-password/{uidb64}/{token}/",
               path_params={"uidb64": "MQ", "token": "set-password"}),
        Target("set_password_post", "post", "/accounts/set-password/{uidb64}/{token}/",
               {"new_password1": "x", "new_password2": "x"}, path_params={"uidb64": "MQ", "token": "abc-def"},
               may_write=_always_refused),
        Target("email_confirm", "get", "/accounts/email/confirm/{token}/", path_params={"token": "abc"}),
        Target("email_report", "post", "/accounts/email/report/{token}/", {"report": "1"}, path_params={"token": "abc"},
               may_write=_always_refused),
        Target("password_change", "post", "/accounts/password/change/", {
            "old_password": "wrong-pw", "new_password1": "Blue-Lantern-Orbit-42", "new_password2": "Blue-Lantern-Orbit-42",
        }, login="exchange", may_write=_always_refused),
        Target("setlang", "post", "/i18n/setlang/", {"language": "en", "next": "/notices/"}, may_write=_always_refused),
        Target("register", "post", "/credit-exchange/courses/{offering_id}/register/", {"next": "/credit-exchange/courses/"},
               path_params={"offering_id": ids["offering_id"]}, login="exchange", may_write=_valid_path_id("offering_id")),
        Target("drop", "post", "/credit-exchange/registrations/{registration_id}/drop/",
               {"offering": ids["offering_id"], "next": "/credit-exchange/registrations/"},
               path_params={"registration_id": ids["registration_id"]}, login="exchange",
               may_write=_valid_path_id("registration_id")),
        Target("two_factor_verify", "post", "/accounts/two-factor/verify/", {"token": "123456", "next": "/admin/"},
               login="staff", may_write=_always_refused),
        Target("two_factor_setup", "post", "/accounts/two-factor/setup/", {"token": "123456"}, login="staff",
               may_write=_always_refused),
        Target("two_factor", "post", "/accounts/two-factor/", {"token": "123456", "remove": "1"}, login="staff",
               may_write=_always_refused),
        Target("basket", "get", "/credit-exchange/basket/", {"term": ids["term"]}, login="exchange"),
        Target("basket_add", "post", "/credit-exchange/basket/{offering_id}/add/", {"next": "/credit-exchange/courses/"},
               path_params={"offering_id": ids["offering_id"]}, login="exchange", may_write=_always_refused),
        Target("basket_remove", "post", "/credit-exchange/basket/{item_id}/remove/", {"next": "/credit-exchange/basket/"},
               path_params={"item_id": ids["item_id"]}, login="exchange", may_write=_valid_path_id("item_id")),
        Target("basket_register", "post", "/credit-exchange/basket/register/", {"term": ids["term"]}, login="exchange",
               may_write=_any_term),
        Target("waitlist_join", "post", "/credit-exchange/courses/{full_offering_id}/waitlist/",
               {"next": "/credit-exchange/courses/"}, path_params={"full_offering_id": ids["full_offering_id"]},
               login="exchange", may_write=_valid_path_id("full_offering_id")),
        Target("waitlist_leave", "post", "/credit-exchange/waitlist/{entry_id}/leave/",
               {"next": "/credit-exchange/registrations/"}, path_params={"entry_id": ids["entry_id"]}, login="exchange",
               may_write=_valid_path_id("entry_id")),
        Target("waitlist_claim", "post", "/credit-exchange/waitlist/{entry_id}/claim/",
               {"next": "/credit-exchange/registrations/"}, path_params={"entry_id": ids["entry_id"]}, login="exchange",
               may_write=_always_refused),  # the entry waits: nothing is offered to claim
        Target("affiliation", "get", "/affiliation/", {"round": "1"}, login="home"),
        Target("affiliation_apply", "post", "/affiliation/apply/", {
            "target_department": ids["round_department"], "english_test": "toeic", "english_score": "850",
            "english_test_date": (timezone.localdate() - timedelta(days=20)).isoformat(),
        }, login="home", may_write=_redirected),
        Target("affiliation_file", "get", "/affiliation/applications/{application_id}/{kind}/",
               path_params={"application_id": ids["application_id"], "kind": "study_plan"}, login="home"),
        Target("transcript_verify", "post", "/verify/", {"code": "ABCD-EFGH-JKMN-PQRS"}, may_write=_always_refused),
        Target("transcript_verify_code", "get", "/verify/{code}/", path_params={"code": "ABCD-EFGH-JKMN-PQRS"}),
    ]


# Where each public URL name is fuzzed; the admin, the staff desk and the DEBUG mailbox are not public.
COVERED = {
    "home": "home", "notices:list": "notices", "notices:detail": "notice", "notices:attachment": "attachment",
    "creditexchange:catalogue": "catalogue", "creditexchange:my_registrations": "my_registrations",
    "calendar": "calendar", "term_calendar": "term_calendar", "creditexchange:application_create": "apply",
    "creditexchange:application_lookup": "lookup", "creditexchange:application_resend": "resend",
    "creditexchange:application_confirm": "confirm", "creditexchange:partner_list_verify": "verify",
    "accounts:password_link": "password_link", "accounts:login": "login", "accounts:set_password": "set_password",
    "accounts:email_change_confirm": "email_confirm", "set_language": "setlang",
    "creditexchange:registration_create": "register", "creditexchange:registration_delete": "drop",
    "affiliation:index": "affiliation", "affiliation:apply": "affiliation_apply",
    "affiliation:application_file": "affiliation_file", "accounts:two_factor_verify": "two_factor_verify",
    "accounts:two_factor_setup": "two_factor_setup", "accounts:two_factor": "two_factor",
    "accounts:email_change_report": "email_report", "accounts:password_change": "password_change",
    "creditexchange:basket": "basket", "creditexchange:basket_add": "basket_add",
    "creditexchange:basket_remove": "basket_remove", "creditexchange:basket_register": "basket_register",
    "creditexchange:waitlist_join": "waitlist_join", "creditexchange:waitlist_leave": "waitlist_leave",
    "creditexchange:waitlist_claim": "waitlist_claim", "creditexchange:my_grades": "my_grades",
    "creditexchange:my_transcript_pdf": "my_transcript_pdf",
    "transcripts:verify": "transcript_verify", "transcripts:verify_code": "transcript_verify_code",
}
NOT_PUBLIC_PREFIXES = ("admin/", "staff/", "dev/", "healthz")
# The partner API (bearer keys, JSON) is fuzzed against its own OpenAPI schema: tests/partnerapi/test_schema.py;
# its schema and docs pages take no input.
FUZZED_ELSEWHERE_PREFIXES = ("api/",)
NO_INPUT = {
    "creditexchange:application_sent", "accounts:logout", "accounts:profile",
    "accounts:two_factor_codes",  # shows codes once, after the setup form; no parameter of its own
}


def _url_names(patterns, prefix="", namespace=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, route, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield route, namespace + pattern.name


def test_it_fuzzes_every_public_url_of_the_urlconf():
    public = {name for route, name in _url_names(get_resolver().url_patterns) if not route.startswith(NOT_PUBLIC_PREFIXES + FUZZED_ELSEWHERE_PREFIXES)}

    assert public - set(COVERED) - NO_INPUT == set()


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_FAILURE_LIMIT = 10**6  # keep reaching the form, not the lock-out page
    World.current = World()
    yield World.current
    World.current = None


def _counts() -> tuple[int, ...]:
    sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{m._meta.db_table}")' for m in WATCHED)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def _values(target: Target):
    """Every parameter valid or hostile, independently, so one bad field cannot hide another."""
    every = {**{f"path:{k}": v for k, v in target.path_params.items()}, **target.params}
    return st.fixed_dictionaries({name: st.one_of(st.just(valid), HOSTILE) for name, valid in every.items()})


TARGET_NAMES = [
    "home", "notices", "notice", "attachment", "catalogue", "catalogue_student", "my_registrations", "calendar",
    "term_calendar", "apply", "lookup", "resend", "confirm", "confirm_post", "verify", "verify_post", "password_link",
    "login", "set_password", "set_password_post", "email_confirm", "setlang", "register", "drop", "affiliation",
    "affiliation_apply", "affiliation_file", "two_factor_verify", "two_factor_setup", "two_factor",
    "email_report", "password_change", "basket", "basket_add", "basket_remove", "basket_register", "waitlist_join",
    "waitlist_leave", "waitlist_claim", "my_grades", "my_transcript_pdf",
]
# Tried in every parameter of every target before hypothesis draws its own examples.
CORE = ["\x00", "%00", "²", "9" * 25, "-" + "9" * 30, "x" * 10_000, "' OR '1'='1", "nope"]


@pytest.mark.parametrize("name", TARGET_NAMES)
def test_it_never_answers_crafted_input_with_a_server_error(world, name):
    target = next(t for t in targets() if t.name == name)

    client = _client(world, target.login)

    def request(values: dict) -> None:
        cache.clear()  # rate limits would otherwise answer in place of the form
        in_path = {k[5:]: v for k, v in values.items() if k.startswith("path:")}
        path = target.path.format(**{k: quote(v, safe="") for k, v in in_path.items()})
        data = {k: v for k, v in values.items() if not k.startswith("path:")}
        before = _counts()
        response = getattr(client, target.method)(path, data)
        assert response.status_code < 500, (path, data)
        if target.may_write is not None and not target.may_write({**target.path_params, **in_path}, response):
            assert _counts() == before, f"a refused {target.name} wrote to the database: {path} {data}"

    valid = {**{f"path:{k}": v for k, v in target.path_params.items()}, **target.params}
    for name in valid:
        for value in CORE:
            request({**valid, name: value})

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(values=_values(target))
    def run(values):
        request(values)

    run()


def _client(world, login: str) -> Client:
    client = Client()
    if login:
        client.force_login({"exchange": world.exchange, "home": world.home, "staff": world.staff}[login])
    return client


def test_a_nul_byte_in_the_notice_search_is_dropped_as_typed_text(world):
    """Every form's CharFields drop control characters on input (ustportal/text.py, issue 12 finding 9)."""
    NoticeFactory(title_en="Registration dates")

    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/notices/", {"q": "dates\x00"})

    assert response.status_code == 200
    assert "Registration dates" in response.content.decode()
    assert "The search text contains a character that is not allowed." not in response.content.decode()


def test_a_nul_byte_in_a_term_calendar_address_is_not_found(world):
    assert Client().get("/calendar/2027-spr%00ing.ics").status_code == 404


def test_an_overlong_user_name_at_login_is_a_form_error_not_a_crash(world):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/accounts/login/", {"username": "x" * 5000, "password": "pw"})

    assert response.status_code == 200
    assert response.context["form"].errors


LINE_IDS = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str),
    st.text(alphabet="0123456789١٢３", min_size=1, max_size=40),
)


@pytest.mark.parametrize("field", ["decision", "comment"])
def test_it_never_fails_on_a_crafted_line_id_on_the_partner_form(world, field):
    path = f"/credit-exchange/verify/{world.ids['verify_token']}/"
    client = Client()

    def check(line: str) -> None:
        before = _counts()
        data = {f"{field}-{line}": "recommended" if field == "decision" else "crafted"}
        if field == "comment":
            data[f"decision-{world.ids['line']}"] = "recommended"
        response = client.post(path, data)
        assert response.status_code < 500, data
        assert _counts() == before

    check("9" * 25)  # finding 7 as reported: an OverflowError and a 500

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(line=LINE_IDS)
    def run(line):
        check(line)

    run()
