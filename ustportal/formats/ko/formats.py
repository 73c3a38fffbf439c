"""How the portal writes dates in Korean: the one format of :mod:`core.dates`, also for the admin.

Django's Korean defaults mix ``2026년 12월 2일 7:43 오전`` with ``2026-12-2`` and ``7:43 오전``. The portal writes
``2026-12-02 07:43`` (24-hour, Asia/Seoul) on every page, mail and export, as Korean university offices do; the
input formats are Django's, so the admin's date pickers keep working.
"""

from django.conf.locale.ko.formats import *  # noqa: F403 -- Django's input formats and separators

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "n월 j일"
YEAR_MONTH_FORMAT = "Y년 n월"
