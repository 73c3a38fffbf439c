"""Seed 003: the change-of-affiliation guide for Sejong campus students, with the round's dates."""

from affiliation.models import AffiliationRound
from core.dates import prose_day
from core.language import ENGLISH, KOREAN

from .common import CONTACT, clock, span_en, span_ko, ui_labels


def affiliation_guide(round: AffiliationRound | None) -> tuple[str, str]:
    values = {**_requirements(round), "CONTACT": CONTACT}
    dates_ko, dates_en = _round_dates(round)
    return (BODY_KO.format(ko=ui_labels(KOREAN), dates_ko=dates_ko, **values),
            BODY_EN.format(en=ui_labels(ENGLISH), dates_en=dates_en, **values))


def _requirements(round: AffiliationRound | None) -> dict:
    """The round's conditions as the guide states them (the usual ones before any round exists)."""
    if round is None:
        return {"credits": 67, "gpa": "3.75", "toeic": 800, "toefl": 96, "teps": 800, "years": 2, "semesters": 4,
                "multiplier": "2"}
    return {
        "credits": round.min_credits, "gpa": round.min_gpa, "toeic": round.min_toeic, "toefl": round.min_toefl,
        "teps": round.min_teps, "years": round.english_validity_years, "semesters": round.min_semesters,
        "multiplier": f"{round.stage1_multiplier.normalize():f}",
    }


def _round_dates(round: AffiliationRound | None) -> tuple[str, str]:
    """The round's schedule as a table in each language, or where to find it."""
    if round is None:
        return ("모집 일정은 홈페이지 첫 화면의 학사일정에서 확인해 주세요.",
                "The dates of this year's round are on the schedule on the home page.")
    interview = round.interview_on
    interview_ko = f"\n| 면접 | {prose_day(interview, KOREAN)} |" if interview else ""
    interview_en = f"\n| Interviews | {prose_day(interview, ENGLISH)} |" if interview else ""
    dates_ko = (
        f"**{round.term.year}학년도 모집 일정 (한국 시간)**\n\n| 구분 | 일시 |\n|---|---|\n"
        f"| 지원서 접수 | {span_ko(round.opens_at, round.closes_at)} |\n"
        f"| 1단계 합격자 발표 | {prose_day(round.stage1_publish_at, KOREAN)} {clock(round.stage1_publish_at)} |"
        f"{interview_ko}\n"
        f"| 최종 합격자 발표 | {prose_day(round.final_publish_at, KOREAN)} {clock(round.final_publish_at)} |"
    )
    dates_en = (
        f"**{round.term.year} round (Korea Standard Time)**\n\n| Step | Date |\n|---|---|\n"
        f"| Applications | {span_en(round.opens_at, round.closes_at)} |\n"
        f"| Stage-1 results | {prose_day(round.stage1_publish_at, ENGLISH)}, {clock(round.stage1_publish_at)} |"
        f"{interview_en}\n"
        f"| Final results | {prose_day(round.final_publish_at, ENGLISH)}, {clock(round.final_publish_at)} |"
    )
    return dates_ko, dates_en


# The guide's text; ``str.format`` fills in the round's conditions and dates and the portal's menu names.
BODY_KO = """세종캠퍼스에서 {semesters}개 학기를 마친 학생은 소속변경 전형에 합격하면 서울캠퍼스의 다른 학과(제1전공)로 소속을 옮겨 그 학과의 학위를 받을 수 있습니다.

## 지원 자격

아래 조건을 모두 갖추어야 합니다. 포털에 로그인해 **{ko[affiliation]}** 메뉴를 열면 본인 학적 기록으로 항목마다 충족 여부를 바로 확인할 수 있습니다.

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

BODY_EN = """Students of the Sejong campus who have completed {semesters} semesters can move to another department (as their first major) on the Seoul campus, and graduate from it, by passing the change-of-affiliation selection.

## Who can apply

You must meet every condition below. Log in and open **{en[affiliation]}** in the menu: the portal checks each condition against your own academic record and shows the result.

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
