"""The ordinary demo notices: maintenance, scholarships, a Korean-only one and the like."""

from datetime import date, timedelta

from core.dates import prose_day
from core.language import ENGLISH, KOREAN

from ..models import Notice
from .common import ui_labels


def _next_saturday(today: date) -> date:
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def ordinary_notices(today: date) -> list[dict]:
    """The notices, their bodies filled in: the date of next Saturday's maintenance, the portal's button names."""
    saturday = _next_saturday(today)
    values = {"ko": ui_labels(KOREAN), "en": ui_labels(ENGLISH),
              "saturday_ko": prose_day(saturday, KOREAN), "saturday_en": prose_day(saturday, ENGLISH)}
    return [{**notice, "body_ko": notice["body_ko"].format(**values), "body_en": notice["body_en"].format(**values)}
            for notice in NOTICES]


# The bodies; ``str.format`` fills in the values above.
MAINTENANCE_KO = """시스템 정기 점검으로 아래 시간에 포털을 이용할 수 없습니다.

- 일시: **{saturday_ko} 02:00 ~ 06:00** (한국 시간)
- 영향: 임시학번 신청과 결과 조회, 수강신청, 소속변경 지원서 작성 등 포털의 모든 기능

점검 시간에는 신청 기간의 시작과 마감이 없도록 일정을 정했습니다. 점검 중에 임시저장하지 않은 내용은 저장되지 않으니, 작업 중인 내용은 미리 저장해 주세요.
"""

MAINTENANCE_EN = """The portal is unavailable during scheduled maintenance:

- When: **{saturday_en}, 02:00–06:00** (Korea time)
- Affected: everything on the portal, including temporary-ID applications and result checks, course registration and change-of-affiliation applications

No application window opens or closes during the maintenance. Please save any work in progress beforehand; nothing can be saved while the portal is down.
"""

CONFIRMATION_MAIL_KO = """임시학번을 신청했는데 확인 메일이 오지 않았다면 다음을 확인해 주세요.

1. **스팸메일함**을 확인합니다. 발신 주소는 `no-reply@portal.invalid`입니다.
2. 신청서의 이메일 주소가 정확한지 확인합니다. 주소가 틀렸다면 학사지원팀에 알려 주세요.
3. 신청 화면에서 같은 학기·소속 대학교·학번으로 다시 신청하면 기존 신청 상태와 함께 **{ko[resend]}** 버튼이 나옵니다. 5분 간격으로 최대 5번까지 다시 받을 수 있습니다.

확인 링크는 72시간 동안 유효하고, 확인하지 않은 신청은 7일 뒤 자동으로 삭제됩니다. 삭제된 뒤에는 처음부터 다시 신청하면 됩니다.
"""

CONFIRMATION_MAIL_EN = """If you applied for a temporary student ID and no confirmation e-mail has arrived:

1. Look in your **spam folder**. The mail comes from `no-reply@portal.invalid`.
2. Check that the e-mail address on your application is right. If it is wrong, tell the Academic Affairs Team.
3. Apply again on the application page with the same term, university and student number: the page shows your existing application with a **{en[resend]}** button. You can do this every 5 minutes, up to 5 times.

The confirmation link is valid for 72 hours, and applications that are not confirmed are deleted after 7 days. After that, simply apply again.
"""

ENGLISH_CERTIFICATE_KO = """소속변경 지원서에 올리는 공인영어성적 증명서는 다음을 지켜 주세요.

- 파일 형식: **PDF, PNG, JPEG** (학업계획서는 PDF만)
- 파일 크기: 5MB 이하
- 응시일이 지원일 기준 2년 이내인 성적만 인정됩니다. 2년이 되는 날 당일에 응시한 성적까지 인정합니다.
- 성적표의 이름과 학번이 지원자 본인과 같아야 하며, 점수와 응시일이 잘 보여야 합니다.

파일 이름만 바꾼 다른 형식의 파일은 올라가지 않습니다. 접수 마감 직전에는 접속이 몰리니 미리 제출해 주세요.
"""

ENGLISH_CERTIFICATE_EN = """Please check the following before you upload your English test certificate:

- File type: **PDF, PNG or JPEG** (the study plan: PDF only)
- Size: at most 5 MB
- Only scores from tests taken within 2 years before your application date count, up to and including the same calendar day two years earlier.
- The certificate must show your own name, your score and the test date clearly.

A file of another type renamed to .pdf is refused. The portal is busy just before the deadline, so please submit early.
"""

NOTICES = [
    {
        "title_ko": "[일반] 포털 시스템 정기 점검 안내",
        "title_en": "[General] Scheduled maintenance of the portal",
        "category": Notice.Category.GENERAL,
        "author_team_ko": "정보전산팀", "author_team_en": "IT Services Team",
        "days_ago": 2, "hits": 87,
        "body_ko": MAINTENANCE_KO,
        "body_en": MAINTENANCE_EN,
    },
    {
        "title_ko": "[학점교류] 임시학번 신청 확인 메일을 받지 못했을 때",
        "title_en": "[Credit exchange] If the confirmation e-mail does not arrive",
        "category": Notice.Category.CREDIT_EXCHANGE,
        "days_ago": 6, "hits": 412,
        "body_ko": CONFIRMATION_MAIL_KO,
        "body_en": CONFIRMATION_MAIL_EN,
    },
    {
        "title_ko": "[소속변경] 공인영어성적 증명서 제출 유의사항",
        "title_en": "[Change of affiliation] Uploading your English test certificate",
        "category": Notice.Category.AFFILIATION,
        "days_ago": 4, "hits": 156,
        "body_ko": ENGLISH_CERTIFICATE_KO,
        "body_en": ENGLISH_CERTIFICATE_EN,
    },
]
