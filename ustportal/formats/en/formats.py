"""How the portal writes dates in English: the same unambiguous ``2026-12-02 07:43`` as in Korean.

An English reader at a partner university may read ``12/02/2026`` as 12 February; ISO order with a 24-hour
clock (Asia/Seoul) cannot be misread, and it is what the Korean pages and the exports show.
"""

from django.conf.locale.en.formats import *  # noqa: F403 -- Django's input formats and separators

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
