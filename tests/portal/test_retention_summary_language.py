"""Review R2 (issue 12, purges): the purge's entry in the staff action log reads in the privacy officer's language
(the schedule runs in the portal's, Korean) and names what was destroyed as staff call it, not by model labels."""

from django.utils import translation

from core.models import BulkAction
from ustportal.retention import PURGE_KIND, personal_data_destroy_expired

from .test_retention_preview import _english, mails  # noqa: F401 - fixtures


def test_the_purge_summary_names_the_kinds_in_english(mails):  # noqa: F811
    with translation.override("en"):
        personal_data_destroy_expired()

    summary = BulkAction.objects.get(kind=PURGE_KIND).summary
    assert "core.outgoingmail" not in summary and "outgoing mail 2" in summary


def test_the_purge_summary_reads_in_korean(mails):  # noqa: F811
    with translation.override("ko"):
        personal_data_destroy_expired()

    summary = BulkAction.objects.get(kind=PURGE_KIND).summary
    assert "파기" in summary and "Destroyed" not in summary
