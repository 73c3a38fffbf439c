"""Seed 000: the credit-exchange guide for students of partner universities, with the term's schedule attached."""

import io

from openpyxl import Workbook

from academics.models import Season, Term, TermWindow
from academics.selectors import terms_with_open_window
from core import dates
from core.language import ENGLISH, KOREAN

from .common import CONTACT, span_en, span_ko, ui_labels

SCHEDULE_FILE = "학점교류_일정표.xlsx"


def exchange_term() -> Term | None:
    """The term that takes temporary-ID applications now (the one the guide is about)."""
    term = terms_with_open_window(kind=TermWindow.Kind.APPLICATION).prefetch_related("windows").first()
    return term or Term.objects.filter(windows__isnull=False).distinct().prefetch_related("windows").first()


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
            rows.append((kind, f"| {ko} | {span_ko(window.starts_at, window.ends_at)} |",
                         f"| {en} | {span_en(window.starts_at, window.ends_at)} |"))
    return rows


def credit_exchange_guide(term: Term | None) -> tuple[str, str]:
    limit = term.credit_limit if term else 12
    table_ko, table_en = _schedule_tables(term)
    return (BODY_KO.format(ko=ui_labels(KOREAN), table_ko=table_ko, limit=limit, CONTACT=CONTACT),
            BODY_EN.format(en=ui_labels(ENGLISH), table_en=table_en, limit=limit, CONTACT=CONTACT))


def _schedule_tables(term: Term | None) -> tuple[str, str]:
    """The term's windows as a table in each language, or where to find them."""
    rows = _schedule_rows(term)
    if not rows:
        return ("이번 학기 일정은 홈페이지 첫 화면의 학사일정에서 확인해 주세요.",
                "This term's dates are on the schedule on the home page.")
    table_ko = f"**{term.year}학년도 {_season_ko(term)} 일정 (한국 시간)**\n\n| 구분 | 기간 |\n|---|---|\n" + "\n".join(r[1] for r in rows)
    table_en = (f"**{_season_en(term)} {term.year} (Korea Standard Time)**\n\n| Step | Dates |\n|---|---|\n"
                + "\n".join(r[2] for r in rows))
    return table_ko, table_en


def _season_ko(term: Term) -> str:
    return {Season.SPRING: "1학기", Season.SUMMER: "여름계절학기", Season.FALL: "2학기", Season.WINTER: "겨울계절학기"}[term.season]


def _season_en(term: Term) -> str:
    return {Season.SPRING: "Spring", Season.SUMMER: "Summer session", Season.FALL: "Fall", Season.WINTER: "Winter session"}[term.season]


def schedule_workbook(term: Term) -> bytes:
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


# The guide's text; ``str.format`` fills in the term's schedule and credit limit and the portal's menu names.
BODY_KO = """협정 대학교 학생이 학점교류로 UST 수업을 듣는 절차를 안내합니다.
임시학번은 **학기마다 새로 신청**해야 합니다. 이전 학기에 임시학번을 받은 학생도 마찬가지입니다.

## 1. 임시학번 신청

1. 홈페이지 **{ko[quick_links]} → {ko[apply]}**에서 신청서를 작성합니다. 바로가기는 모든 화면 아래쪽에도 있습니다.
   소속 대학교, 소속 대학 학번, 이름, 생년월일, 이메일, 휴대전화, 소속 학과, 과정을 입력하고 개인정보 수집·이용에 동의해 주세요.
2. 입력한 이메일로 **신청 확인 메일**이 발송됩니다. 메일의 링크를 누르면 신청이 완료됩니다.
   링크는 72시간 동안 유효하며, 확인하지 않은 신청은 7일 뒤 삭제됩니다.
3. 학사지원팀이 신청 내용을 확인해 승인하면 임시학번이 **매일 18:00에 일괄 발급**됩니다. 발급되면 결과 안내 메일을 보내 드립니다.
4. **{ko[quick_links]} → {ko[lookup]}**에서 소속 대학교, 소속 대학 학번, 생년월일을 입력하면 신청 상태와 임시학번을 확인할 수 있습니다.
   처음 발급받은 학생에게는 **비밀번호 설정 링크**를 등록한 이메일로 보내 드립니다.

> 협정이 유효한 대학교의 학생만 신청할 수 있고, 같은 학기에 같은 학번으로는 한 번만 신청할 수 있습니다.
> 이미 신청했다면 신청 화면에서 확인 메일을 다시 받을 수 있습니다.

## 2. 이전 학기에 임시학번을 받은 학생

- 이전 학기에 임시학번을 받았더라도 **이번 학기 신청서를 다시 제출**해야 합니다.
- 새 번호가 발급되지 않고 **기존 임시학번과 비밀번호를 그대로** 사용합니다. 비밀번호가 기억나지 않으면 결과 확인 화면에서 재설정 링크를 요청하세요.
- 신청서에 적은 전화번호와 이메일로 계정의 연락처가 바뀌지는 않습니다. 연락처는 임시학번으로 로그인한 뒤 화면 오른쪽 위의 임시학번 버튼을 눌러 **{ko[profile]}**에서 변경할 수 있습니다.

## 3. 소속 대학교의 확인과 추천

임시학번 신청 후 또는 수강신청 후(대학교마다 다릅니다) UST가 소속 대학교에 신청자 명단 또는 수강신청 명단을 보내 확인과 추천을 요청합니다.
**소속 대학교의 추천을 받지 못한 학생은 UST에서 수업을 이수하더라도 학점을 인정받을 수 없습니다.**

## 4. 수강신청

{table_ko}

- 개설강좌 공개 기간에는 강좌가 순차적으로 공개되므로 일부 강좌가 아직 보이지 않을 수 있습니다.
- **임시학번이 없어도** 상단 메뉴 **{ko[courses]}**에서 공개된 강좌를 볼 수 있습니다.
- 임시학번으로 로그인하면 {ko[courses]}에서 여석을 확인하고 바로 신청할 수 있습니다. 신청 내역과 시간표는 **{ko[my_registrations]}**에서 확인합니다.
- 같은 강좌를 두 번 신청하거나 시간이 겹치는 강좌를 함께 신청할 수 없으며, 한 학기에 **최대 {limit}학점**까지 신청할 수 있습니다.
- UST에서 수강신청한 내역은 **소속 대학교에도 반드시 등록**해야 합니다. 등록 방법은 소속 대학교에 문의해 주세요.

## 5. 수강정정 및 취소

수강정정·취소 기간에 과목을 추가하거나 취소할 수 있습니다. **취소는 학생 본인이 직접** 해야 하며, 소속 대학교에 등록한 수강 내역도 함께 정정·취소해야 합니다.

## 6. 최종 명단 통보

수강정정 기간이 끝나면 UST가 소속 대학교에 최종 수강 명단을 보냅니다.

## 문의

학사지원팀 · {CONTACT}
"""

BODY_EN = """This guide explains how students of partner universities take courses at UST through credit exchange.
You need a temporary student ID **for every term**, and you apply for it again each term, even if you had one before.

## 1. Apply for a temporary student ID

1. On the home page, open **{en[quick_links]} → {en[apply]}** (the link is also at the bottom of every page).
   Enter your university, your student number there, your name, date of birth, e-mail, mobile number, department and degree level, and agree to the collection and use of your personal information.
2. We send a **confirmation e-mail** to the address you entered. Your application is complete once you click the link in it.
   The link is valid for 72 hours; applications that are not confirmed are deleted after 7 days.
3. The Academic Affairs Team reviews and approves applications. Approved IDs are **issued every day at 18:00** (Korea time), and we e-mail you when yours is ready.
4. Open **{en[quick_links]} → {en[lookup]}** and enter your university, your student number there and your date of birth to see the status and your temporary student ID.
   If this is your first ID, we e-mail you a **link to set your password**.

> Only students of universities with an active agreement can apply, and only once per term with the same student number.
> If you have already applied, the application page lets you have the confirmation e-mail sent again.

## 2. If you had a temporary student ID in an earlier term

- You still need to **submit an application for this term**.
- You keep **the same temporary student ID and the same password**; no new number is issued. If you have forgotten your password, request a reset link from the result page.
- The phone number and e-mail address on the application do not change your account. To update them, log in with your temporary student ID and open **{en[profile]}** with the button showing your ID at the top right.

## 3. Verification and recommendation by your university

After you apply for an ID, or after course registration (this depends on your university), UST sends your university a list of applicants or of registrations to verify and recommend.
**If your university does not recommend you, you will not receive credit, even if you complete the course at UST.**

## 4. Course registration

{table_en}

- Courses are published during the course-opening period, so some may not be visible yet.
- **Without a temporary student ID** you can still browse the published courses under **{en[courses]}** in the menu.
- Logged in with your temporary student ID, you see the seats left and register directly from the course list. **{en[my_registrations]}** shows your courses and timetable.
- You cannot register for the same course twice or for courses whose times overlap, and you can take **at most {limit} credits** per term.
- You must **also register the UST courses at your own university**. Please ask your university how.

## 5. Course change and cancellation

During the change and cancellation period you can add and drop courses. **Students drop courses themselves**, and must also change or cancel the registration at their own university.

## 6. Final list

When the change period is over, UST sends the final list of registrations to your university.

## Contact

Academic Affairs Team · {CONTACT}
"""
