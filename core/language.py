"""Which of the portal's two languages a page, mail or export is in: the one answer every module asks.

The portal speaks Korean (the default) and English (SPEC §1). Django's active language may carry a region
(``en-us``) or be unset outside a request (a Celery task before ``translation.override``); both read as one
of the two codes here. Data that has its own language field (an application's ``language``, a partner's
``mail_language``) is used as stored; this module is for "the language we are writing in now".
"""

from django.utils.translation import get_language

KOREAN = "ko"
ENGLISH = "en"


def page_language() -> str:
    """``"en"`` when the active language is English (any region), else ``"ko"``."""
    return ENGLISH if (get_language() or KOREAN).startswith(ENGLISH) else KOREAN


def is_english() -> bool:
    """The active language is English: show ``*_en`` texts first and fall back to Korean."""
    return page_language() == ENGLISH


def bilingual(korean: str, english: str) -> str:
    """The text of a bilingual pair in the active language, falling back to the other when it is empty."""
    return (english or korean) if is_english() else (korean or english)
