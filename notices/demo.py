"""Demo notices for `make run`: the two process guides (seeds 000 and 003) as pinned notices, a few ordinary ones.

Idempotent: notices are found by their Korean title; their bodies are rewritten on every run (the dates
in the guides follow the demo terms, which move with today), while the publication date and hit count
are set only when a notice is created.
"""

import io
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import Workbook

from academics.models import Season, Term, TermWindow
from academics.selectors import terms_with_open_window
from affiliation.models import AffiliationRound
from core import dates
from core.language import ENGLISH, KOREAN

from .models import Notice
from .services import notice_attachment_add

CONTACT = "registrar@portal.invalid"
SCHEDULE_FILE = "학점교류_일정표.xlsx"


# The menu items, links and buttons the guides send students to, in the words the pages really use: a guide
# that names a menu item that does not exist sends students looking for nothing (tests/notices check them).
UI_LABELS = {
    "quick_links": "Quick links", "apply": "Apply for a temporary student ID",
    "lookup": "Check the application and verify for student ID", "courses": "Courses",
    "my_registrations": "My registrations", "profile": "My profile", "affiliation": "Change of affiliation",
    "resend": "Re-send confirmation mail",
}


def ui_labels(language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(gettext(msgid)) for key, msgid in UI_LABELS.items()}


# The guides are prose: they write a day as a registrar would ("3월 2일(화)", "Tue 2 Mar"), on the Seoul clock
# of core.dates, whatever the active language (each guide has a Korean and an English body).
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day_ko(at: date | datetime) -> str:
    day = dates.seoul_day(at)
    return f"{day.month}월 {day.day}일({dates.WEEKDAYS[KOREAN][day.weekday()]})"


def _day_en(at: date | datetime) -> str:
    day = dates.seoul_day(at)
    return f"{dates.WEEKDAYS[ENGLISH][day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"


def _clock(at: datetime) -> str:
    return dates.clock(dates.seoul(at).time())


def _is_midnight(at: datetime) -> bool:
    return _clock(at) == "00:00"


def _span_ko(start: datetime, end: datetime) -> str:
    """A window [start, end) as people read it: a window that ends at midnight ends on the day before."""
    if _is_midnight(start) and _is_midnight(end):
        return f"{_day_ko(start)} ~ {_day_ko(end - timedelta(days=1))}"
    return f"{_day_ko(start)} {_clock(start)} ~ {_day_ko(end)} {_clock(end)}"


def _span_en(start: datetime, end: datetime) -> str:
    if _is_midnight(start) and _is_midnight(end):
        return f"{_day_en(start)} – {_day_en(end - timedelta(days=1))}"
    return f"{_day_en(start)}, {_clock(start)} – {_day_en(end)}, {_clock(end)}"


def _exchange_term() -> Term | None:
    """The term that takes temporary-ID applications now (the one the guide is about)."""
    term = terms_with_open_window(kind=TermWindow.Kind.APPLICATION).prefetch_related("windows").first()
    return term or Term.objects.filter(windows__isnull=False).distinct().prefetch_related("windows").first()


# --- Seed 000: credit exchange ----------------------------------------------------------------------------------

def _schedule_rows(term: Term | None) -> list[tuple[str, str, str]]:
    if term is None:
        return []
    rows = []
    for kind, ko, en in [
        (TermWindow.Kind.APPLICATION, "임시학번 신청", "Temporary student ID application"),
        (TermWindow.Kind.COURSE_OPENING, "개설강좌 공개", "Course opening (courses are published)"),
        (TermWindow.Kind.REGISTRATION, "수강신청", "Course registration"),
        (TermWindow.Kind.CHANGE, "수강정정 및 취소", "Course change and cancellation"),
    ]:
        window = term.window(kind)
        if window is not None:
            rows.append((kind, f"| {ko} | {_span_ko(window.starts_at, window.ends_at)} |",
                         f"| {en} | {_span_en(window.starts_at, window.ends_at)} |"))
    return rows


def credit_exchange_guide(term: Term | None) -> tuple[str, str]:
    ko, en = ui_labels("ko"), ui_labels("en")
    rows = _schedule_rows(term)
    limit = term.credit_limit if term else 12
    if rows:
        table_ko = f"**{term.year}학년도 {_season_ko(term)} 일정 (한국 시간)**\n\n| 구분 | 기간 |\n|---|---|\n" + "\n".join(r[1] for r in rows)
        table_en = (f"**{_season_en(term)} {term.year} (Korea Standard Time)**\n\n| Step | Dates |\n|---|---|\n"
                    + "\n".join(r[2] for r in rows))
    else:
        table_ko = "이번 학기 일정은 홈페이지 첫 화면의 학사일정에서 확인해 주세요."
        table_en = "This term's dates are on the schedule on the home page."

    body_ko = f"""협정 대학교 학생이 학점교류로 UST 수업을 듣는 절차를 안내합니다.
임시학번은 **학기마다 새로 신청**해야 합니다. 이전 학기에 임시학번을 받은 학생도 마찬가지입니다.

## 1. 임시학번 신청

1. 홈페이지 **{ko['quick_links']} → {ko['apply']}**에서 신청서를 작성합니다. 바로가기는 모든 화면 아래쪽에도 있습니다.
   소속 대학교, 소속 대학 학번, 이름, 생년월일, 이메일, 휴대전화, 소속 학과, 과정을 입력하고 개인정보 수집·이용에 동의해 주세요.
2. 입력한 이메일로 **신청 확인 메일**이 발송됩니다. 메일의 링크를 누르면 신청이 완료됩니다.
   링크는 72시간 동안 유효하며, 확인하지 않은 신청은 7일 뒤 삭제됩니다.
3. 학사지원팀이 신청 내용을 확인해 승인하면 임시학번이 **매일 18:00에 일괄 발급**됩니다. 발급되면 결과 안내 메일을 보내 드립니다.
4. **{ko['quick_links']} → {ko['lookup']}**에서 소속 대학교, 소속 대학 학번, 생년월일을 입력하면 신청 상태와 임시학번을 확인할 수 있습니다.
   처음 발급받은 학생에게는 **비밀번호 설정 링크**를 등록한 이메일로 보내 드립니다.

> 협정이 유효한 대학교의 학생만 신청할 수 있고, 같은 학기에 같은 학번으로는 한 번만 신청할 수 있습니다.
> 이미 신청했다면 신청 화면에서 확인 메일을 다시 받을 수 있습니다.

## 2. 이전 학기에 임시학번을 받은 학생

- 이전 학기에 임시학번을 받았더라도 **이번 학기 신청서를 다시 제출**해야 합니다.
- 새 번호가 발급되지 않고 **기존 임시학번과 비밀번호를 그대로** 사용합니다. 비밀번호가 기억나지 않으면 결과 확인 화면에서 재설정 링크를 요청하세요.
- 신청서에 적은 전화번호와 이메일로 계정의 연락처가 바뀌지는 않습니다. 연락처는 임시학번으로 로그인한 뒤 화면 오른쪽 위의 임시학번 버튼을 눌러 **{ko['profile']}**에서 변경할 수 있습니다.

## 3. 소속 대학교의 확인과 추천

임시학번 신청 후 또는 수강신청 후(대학교마다 다릅니다) UST가 소속 대학교에 신청자 명단 또는 수강신청 명단을 보내 확인과 추천을 요청합니다.
**소속 대학교의 추천을 받지 못한 학생은 UST에서 수업을 이수하더라도 학점을 인정받을 수 없습니다.**

## 4. 수강신청

{table_ko}

- 개설강좌 공개 기간에는 강좌가 순차적으로 공개되므로 일부 강좌가 아직 보이지 않을 수 있습니다.
- **임시학번이 없어도** 상단 메뉴 **{ko['courses']}**에서 공개된 강좌를 볼 수 있습니다.
- 임시학번으로 로그인하면 {ko['courses']}에서 여석을 확인하고 바로 신청할 수 있습니다. 신청 내역과 시간표는 **{ko['my_registrations']}**에서 확인합니다.
- 같은 강좌를 두 번 신청하거나 시간이 겹치는 강좌를 함께 신청할 수 없으며, 한 학기에 **최대 {limit}학점**까지 신청할 수 있습니다.
- UST에서 수강신청한 내역은 **소속 대학교에도 반드시 등록**해야 합니다. 등록 방법은 소속 대학교에 문의해 주세요.

## 5. 수강정정 및 취소

수강정정·취소 기간에 과목을 추가하거나 취소할 수 있습니다. **취소는 학생 본인이 직접** 해야 하며, 소속 대학교에 등록한 수강 내역도 함께 정정·취소해야 합니다.

## 6. 최종 명단 통보

수강정정 기간이 끝나면 UST가 소속 대학교에 최종 수강 명단을 보냅니다.

## 문의

학사지원팀 · {CONTACT}
"""

    body_en = f"""This guide explains how students of partner universities take courses at UST through credit exchange.
You need a temporary student ID **for every term**, and you apply for it again each term, even if you had one before.

## 1. Apply for a temporary student ID

1. On the home page, open **{en['quick_links']} → {en['apply']}** (the link is also at the bottom of every page).
   Enter your university, your student number there, your name, date of birth, e-mail, mobile number, department and degree level, and agree to the collection and use of your personal information.
2. We send a **confirmation e-mail** to the address you entered. Your application is complete once you click the link in it.
   The link is valid for 72 hours; applications that are not confirmed are deleted after 7 days.
3. The Academic Affairs Team reviews and approves applications. Approved IDs are **issued every day at 18:00** (Korea time), and we e-mail you when yours is ready.
4. Open **{en['quick_links']} → {en['lookup']}** and enter your university, your student number there and your date of birth to see the status and your temporary student ID.
   If this is your first ID, we e-mail you a **link to set your password**.

> Only students of universities with an active agreement can apply, and only once per term with the same student number.
> If you have already applied, the application page lets you have the confirmation e-mail sent again.

## 2. If you had a temporary student ID in an earlier term

- You still need to **submit an application for this term**.
- You keep **the same temporary student ID and the same password**; no new number is issued. If you have forgotten your password, request a reset link from the result page.
- The phone number and e-mail address on the application do not change your account. To update them, log in with your temporary student ID and open **{en['profile']}** with the button showing your ID at the top right.

## 3. Verification and recommendation by your university

After you apply for an ID, or after course registration (this depends on your university), UST sends your university a list of applicants or of registrations to verify and recommend.
**If your university does not recommend you, you will not receive credit, even if you complete the course at UST.**

## 4. Course registration

{table_en}

- Courses are published during the course-opening period, so some may not be visible yet.
- **Without a temporary student ID** you can still browse the published courses under **{en['courses']}** in the menu.
- Logged in with your temporary student ID, you see the seats left and register directly from the course list. **{en['my_registrations']}** shows your courses and timetable.
- You cannot register for the same course twice or for courses whose times overlap, and you can take **at most {limit} credits** per term.
- You must **also register the UST courses at your own university**. Please ask your university how.

## 5. Course change and cancellation

During the change and cancellation period you can add and drop courses. **Students drop courses themselves**, and must also change or cancel the registration at their own university.

## 6. Final list

When the change period is over, UST sends the final list of registrations to your university.

## Contact

Academic Affairs Team · {CONTACT}
"""
    return body_ko, body_en


def _season_ko(term: Term) -> str:
    return {Season.SPRING: "1학기", Season.SUMMER: "여름계절학기", Season.FALL: "2학기", Season.WINTER: "겨울계절학기"}[term.season]


def _season_en(term: Term) -> str:
    return {Season.SPRING: "Spring", Season.SUMMER: "Summer session", Season.FALL: "Fall", Season.WINTER: "Winter session"}[term.season]


def _schedule_workbook(term: Term) -> bytes:
    """The term's dates as a spreadsheet, attached to the guide as staff usually do."""
    book = Workbook()
    sheet = book.active
    sheet.title = "일정 Schedule"
    sheet.append(["구분", "Step", "시작 Opens (KST)", "마감 Closes (KST)"])
    labels = {
        TermWindow.Kind.APPLICATION: ("임시학번 신청", "Temporary student ID application"),
        TermWindow.Kind.COURSE_OPENING: ("개설강좌 공개", "Course opening"),
        TermWindow.Kind.REGISTRATION: ("수강신청", "Course registration"),
        TermWindow.Kind.CHANGE: ("수강정정 및 취소", "Course change and cancellation"),
    }
    for window in term.windows.all():
        ko, en = labels[window.kind]
        sheet.append([ko, en, dates.when(window.starts_at), dates.when(window.ends_at)])
    for column, width in zip("ABCD", (18, 34, 20, 20), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Seed 003: change of affiliation ----------------------------------------------------------------------------

def affiliation_guide(round: AffiliationRound | None) -> tuple[str, str]:
    ko, en = ui_labels("ko"), ui_labels("en")
    credits = round.min_credits if round else 67
    gpa = round.min_gpa if round else "3.75"
    toeic, toefl, teps = (round.min_toeic, round.min_toefl, round.min_teps) if round else (800, 96, 800)
    years = round.english_validity_years if round else 2
    semesters = round.min_semesters if round else 4
    multiplier = f"{round.stage1_multiplier.normalize():f}" if round else "2"
    if round is not None:
        interview = round.interview_on
        interview_ko = f"\n| 면접 | {_day_ko(interview)} |" if interview else ""
        interview_en = f"\n| Interviews | {_day_en(interview)} |" if interview else ""
        dates_ko = (
            f"**{round.term.year}학년도 모집 일정 (한국 시간)**\n\n| 구분 | 일시 |\n|---|---|\n"
            f"| 지원서 접수 | {_span_ko(round.opens_at, round.closes_at)} |\n"
            f"| 1단계 합격자 발표 | {_day_ko(round.stage1_publish_at)} {_clock(round.stage1_publish_at)} |"
            f"{interview_ko}\n"
            f"| 최종 합격자 발표 | {_day_ko(round.final_publish_at)} {_clock(round.final_publish_at)} |"
        )
        dates_en = (
            f"**{round.term.year} round (Korea Standard Time)**\n\n| Step | Date |\n|---|---|\n"
            f"| Applications | {_span_en(round.opens_at, round.closes_at)} |\n"
            f"| Stage-1 results | {_day_en(round.stage1_publish_at)}, {_clock(round.stage1_publish_at)} |"
            f"{interview_en}\n"
            f"| Final results | {_day_en(round.final_publish_at)}, {_clock(round.final_publish_at)} |"
        )
    else:
        dates_ko = "모집 일정은 홈페이지 첫 화면의 학사일정에서 확인해 주세요."
        dates_en = "The dates of this year's round are on the schedule on the home page."

    body_ko = f"""세종캠퍼스에서 {semesters}개 학기를 마친 학생은 소속변경 전형에 합격하면 서울캠퍼스의 다른 학과(제1전공)로 소속을 옮겨 그 학과의 학위를 받을 수 있습니다.

## 지원 자격

아래 조건을 모두 갖추어야 합니다. 포털에 로그인해 **{ko['affiliation']}** 메뉴를 열면 본인 학적 기록으로 항목마다 충족 여부를 바로 확인할 수 있습니다.

1. 세종캠퍼스 소속 학생
2. 지원 학기를 포함해 **{semesters}개 학기 이상 등록**
3. 취득 학점과 이번 학기 수강 중인 학점의 합이 **{credits}학점 이상**
4. 직전 학기까지의 누계 평점평균 **{gpa} 이상** (4.5 만점)
5. 지원일 기준 **{years}년 이내**에 응시한 공인영어성적 중 하나: TOEIC {toeic}점, TOEFL iBT {toefl}점, TEPS {teps}점 이상 (성적증명서 제출)
6. 재학 중 소속변경 지원은 **한 번만** 할 수 있습니다. 제출한 지원서는 지원한 것으로 보며, 제출하지 않고 임시저장만 한 지원서는 해당하지 않습니다.

### 지원할 수 있는 학기

- **4번째 등록 학기**에 지원할 수 있습니다.
- 4번째 등록 학기에 지원하지 않으면 5번째 학기부터는 자격이 없어집니다. 다만 휴학 때문에 4번째 등록 학기에 지원할 기회가 없었다면 5번째 학기에 지원할 수 있습니다.
- 6번째 학기부터는 지원할 수 없습니다.

## 지원 기간

매년 2학기(가을학기)에 한 번 모집합니다.

{dates_ko}

## 지원할 수 있는 학과

- 그해 서울캠퍼스 **일반편입학 모집인원이 있는 학과(학부)**에만 지원할 수 있습니다. 학과별 모집인원은 그해 일반편입학 모집인원으로 정합니다.
- **의과대학과 사범대학**의 학과에는 지원할 수 없습니다.
- 모집마다 세종캠퍼스 전공과 같거나 유사한 학과에만 지원하게 하거나, 전공과 관계없이 모집인원이 있는 모든 학과에 지원하게 합니다. 지원 화면에는 지원할 수 있는 학과만 나옵니다.

## 선발 방법

1. **1단계**: 평점평균과 공인영어성적(TOEIC, TOEFL, TEPS 중 하나)으로 학과별 모집인원의 {multiplier}배수를 선발합니다.
2. **2단계**: 1단계 성적에 서류 점수와 면접 점수를 더해 모집인원만큼 최종 선발합니다.

동점자는 평점평균, 영어 성적, 지원서를 먼저 제출한 순서로 정합니다. 결과는 발표 시각에 포털에서 확인할 수 있고, 본인 점수와 순위도 함께 볼 수 있습니다.

## 학점 이수

- 교양 교육과정은 소속변경 전에 세종캠퍼스 소속 학과의 이수 기준을 충족해야 합니다.
- 소속변경 후에는 변경된 학과의 교육과정표에 따라 전공기초·전공 과목과 졸업 요건을 충족해야 합니다.
- 소속변경 전에 취득한 학점, 성적, 이수 구분은 그대로 인정됩니다.

## 유의사항

- 최종 합격하더라도 지원한 해의 **겨울 계절학기까지 {credits}학점을 취득하지 못하거나**, 세종캠퍼스 소속 학과의 **교양 이수 기준을 충족하지 못하면 합격이 취소**됩니다.
- 교직과정을 이수하던 학생은 소속변경이 확정되면 교직과정 이수가 취소됩니다.
- 소속변경 직후 학기에는 성적우수장학금 등 장학금 선발 대상에서 제외될 수 있습니다.
- 위 내용은 바뀔 수 있으니 모집 기간에 게시되는 포털 공지를 반드시 확인해 주세요.

## 문의

학사지원팀 · {CONTACT}
"""

    body_en = f"""Students of the Sejong campus who have completed {semesters} semesters can move to another department (as their first major) on the Seoul campus, and graduate from it, by passing the change-of-affiliation selection.

## Who can apply

You must meet every condition below. Log in and open **{en['affiliation']}** in the menu: the portal checks each condition against your own academic record and shows the result.

1. You belong to the Sejong campus.
2. You have **registered for at least {semesters} semesters**, counting the current one.
3. Your earned credits plus the credits you are taking this term add up to **at least {credits}**.
4. Your cumulative GPA up to the previous semester is **at least {gpa}** (out of 4.5).
5. One English score taken **within {years} years** before you apply: TOEIC {toeic}, TOEFL iBT {toefl} or TEPS {teps} or higher (upload the certificate).
6. You can apply **only once** while you are enrolled. A submitted application counts; a draft you never submitted does not.

### When you can apply

- You apply in your **4th registered semester**.
- If you do not apply then, you lose the right to apply from the 5th semester on — unless a leave of absence meant you had no chance to apply in your 4th registered semester, in which case you may apply in your 5th.
- You cannot apply from the 6th semester on.

## Application period

There is one round a year, in the fall semester.

{dates_en}

## Departments you can apply to

- Only Seoul-campus departments that recruit **general transfer students** that year; each department's quota is its general-transfer number for that year.
- Departments of the **College of Medicine and the College of Education** are not open.
- Depending on the round, you may apply only to departments that are the same as or similar to your Sejong major, or to any department with a quota. The application page lists only the departments open to you.

## Selection

1. **Stage 1**: GPA and an English score (TOEIC, TOEFL or TEPS). In each department the best applicants, up to {multiplier} × its quota (rounded up), pass.
2. **Stage 2**: the stage-1 score plus a document score and an interview score. The quota of each department is admitted.

Ties are broken by GPA, then the English score, then who submitted first. Results appear on the portal at the announced time, with your own scores and rank.

## Credits

- You must meet the liberal-arts requirements of your Sejong department before the change.
- After the change, the curriculum of your new department applies to major courses and graduation requirements.
- Credits, grades and course categories earned before the change are carried over as they are.

## Please note

- Even after final admission, the change is **cancelled if you do not reach {credits} earned credits by the end of the winter session** of the year you applied, or **do not meet the liberal-arts requirements** of your Sejong department.
- If you are taking the teacher-training course, it is cancelled once your change of affiliation is confirmed.
- In the semester right after the change you may be excluded from merit and other scholarships.
- These rules can change. Always check the portal notices published during the application period.

## Contact

Academic Affairs Team · {CONTACT}
"""
    return body_ko, body_en


# --- Ordinary notices ---------------------------------------------------------------------------------------------

def _next_saturday(today: date) -> date:
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def _ordinary(today: date) -> list[dict]:
    ko, en = ui_labels("ko"), ui_labels("en")
    saturday = _next_saturday(today)
    saturday_ko, saturday_en = _day_ko(saturday), _day_en(saturday)
    return [
        {
            "title_ko": "[일반] 포털 시스템 정기 점검 안내",
            "title_en": "[General] Scheduled maintenance of the portal",
            "category": Notice.Category.GENERAL,
            "author_team_ko": "정보전산팀", "author_team_en": "IT Services Team",
            "days_ago": 2, "hits": 87,
            "body_ko": f"""시스템 정기 점검으로 아래 시간에 포털을 이용할 수 없습니다.

- 일시: **{saturday_ko} 02:00 ~ 06:00** (한국 시간)
- 영향: 임시학번 신청과 결과 조회, 수강신청, 소속변경 지원서 작성 등 포털의 모든 기능

점검 시간에는 신청 기간의 시작과 마감이 없도록 일정을 정했습니다. 점검 중에 임시저장하지 않은 내용은 저장되지 않으니, 작업 중인 내용은 미리 저장해 주세요.
""",
            "body_en": f"""The portal is unavailable during scheduled maintenance:

- When: **{saturday_en}, 02:00–06:00** (Korea time)
- Affected: everything on the portal, including temporary-ID applications and result checks, course registration and change-of-affiliation applications

No application window opens or closes during the maintenance. Please save any work in progress beforehand; nothing can be saved while the portal is down.
""",
        },
        {
            "title_ko": "[학점교류] 임시학번 신청 확인 메일을 받지 못했을 때",
            "title_en": "[Credit exchange] If the confirmation e-mail does not arrive",
            "category": Notice.Category.CREDIT_EXCHANGE,
            "days_ago": 6, "hits": 412,
            "body_ko": f"""임시학번을 신청했는데 확인 메일이 오지 않았다면 다음을 확인해 주세요.

1. **스팸메일함**을 확인합니다. 발신 주소는 `no-reply@portal.invalid`입니다.
2. 신청서의 이메일 주소가 정확한지 확인합니다. 주소가 틀렸다면 학사지원팀에 알려 주세요.
3. 신청 화면에서 같은 학기·소속 대학교·학번으로 다시 신청하면 기존 신청 상태와 함께 **{ko['resend']}** 버튼이 나옵니다. 5분 간격으로 최대 5번까지 다시 받을 수 있습니다.

확인 링크는 72시간 동안 유효하고, 확인하지 않은 신청은 7일 뒤 자동으로 삭제됩니다. 삭제된 뒤에는 처음부터 다시 신청하면 됩니다.
""",
            "body_en": f"""If you applied for a temporary student ID and no confirmation e-mail has arrived:

1. Look in your **spam folder**. The mail comes from `no-reply@portal.invalid`.
2. Check that the e-mail address on your application is right. If it is wrong, tell the Academic Affairs Team.
3. Apply again on the application page with the same term, university and student number: the page shows your existing application with a **{en['resend']}** button. You can do this every 5 minutes, up to 5 times.

The confirmation link is valid for 72 hours, and applications that are not confirmed are deleted after 7 days. After that, simply apply again.
""",
        },
        {
            "title_ko": "[소속변경] 공인영어성적 증명서 제출 유의사항",
            "title_en": "[Change of affiliation] Uploading your English test certificate",
            "category": Notice.Category.AFFILIATION,
            "days_ago": 4, "hits": 156,
            "body_ko": """소속변경 지원서에 올리는 공인영어성적 증명서는 다음을 지켜 주세요.

- 파일 형식: **PDF, PNG, JPEG** (학업계획서는 PDF만)
- 파일 크기: 5MB 이하
- 응시일이 지원일 기준 2년 이내인 성적만 인정됩니다. 2년이 되는 날 당일에 응시한 성적까지 인정합니다.
- 성적표의 이름과 학번이 지원자 본인과 같아야 하며, 점수와 응시일이 잘 보여야 합니다.

파일 이름만 바꾼 다른 형식의 파일은 올라가지 않습니다. 접수 마감 직전에는 접속이 몰리니 미리 제출해 주세요.
""",
            "body_en": """Please check the following before you upload your English test certificate:

- File type: **PDF, PNG or JPEG** (the study plan: PDF only)
- Size: at most 5 MB
- Only scores from tests taken within 2 years before your application date count, up to and including the same calendar day two years earlier.
- The certificate must show your own name, your score and the test date clearly.

A file of another type renamed to .pdf is refused. The portal is busy just before the deadline, so please submit early.
""",
        },
    ]


def load_notice_demo() -> None:
    today = dates.today()
    now = timezone.now()
    term = _exchange_term()
    round = AffiliationRound.objects.select_related("term").order_by("-term__year", "-term__season_order").first()

    ko, en = credit_exchange_guide(term)
    guide, created = Notice.objects.update_or_create(
        title_ko="[학점교류] 협정 대학교 학생의 학점교류 신청 절차 안내",
        defaults={
            "title_en": "[Credit exchange] Guide for students of partner universities",
            "category": Notice.Category.CREDIT_EXCHANGE, "body_ko": ko, "body_en": en, "pinned": True,
        },
        create_defaults={
            "title_en": "[Credit exchange] Guide for students of partner universities",
            "category": Notice.Category.CREDIT_EXCHANGE, "body_ko": ko, "body_en": en, "pinned": True,
            "published_at": now - timedelta(days=20), "hit_count": 2676,
        },
    )
    if term is not None and not guide.attachments.exists():
        content = _schedule_workbook(term)
        notice_attachment_add(notice=guide, upload=SimpleUploadedFile(SCHEDULE_FILE, content))

    ko, en = affiliation_guide(round)
    Notice.objects.update_or_create(
        title_ko="[소속변경] 세종캠퍼스 학생의 서울캠퍼스 소속변경 안내",
        defaults={
            "title_en": "[Change of affiliation] Moving from the Sejong campus to a Seoul campus department",
            "category": Notice.Category.AFFILIATION, "body_ko": ko, "body_en": en, "pinned": True,
        },
        create_defaults={
            "title_en": "[Change of affiliation] Moving from the Sejong campus to a Seoul campus department",
            "category": Notice.Category.AFFILIATION, "body_ko": ko, "body_en": en, "pinned": True,
            "published_at": now - timedelta(days=15), "hit_count": 1342,
        },
    )

    for item in _ordinary(today):
        days_ago, hits = item.pop("days_ago"), item.pop("hits")
        title_ko = item.pop("title_ko")
        Notice.objects.update_or_create(
            title_ko=title_ko, defaults=item,
            create_defaults={**item, "published_at": now - timedelta(days=days_ago), "hit_count": hits},
        )

    Notice.objects.get_or_create(
        title_ko="[일반] 겨울 계절학기 한국어 강좌 수요 조사 (작성 중)",
        defaults={
            "title_en": "[General] Survey: Korean language courses in the winter session (draft)",
            "category": Notice.Category.GENERAL,
            "body_ko": "교환학생 대상 한국어 강좌 개설을 위한 수요 조사입니다. 설문 링크는 확정되면 추가합니다.",
            "body_en": "",
        },
    )
