"""The purge's preview and record (issue 12): the privacy officer sees ahead what the nightly purge destroys, told
it cannot be undone; each purge writes a staff-action-log entry with counts and ids, no personal data."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ensure_roles
from core.bulk import bulk_record
from core.models import BulkAction, OutgoingMail
from core.privacy import years_before
from ustportal.retention import PURGE_KIND, personal_data_destroy_expired
from ustportal.retention_preview import retention_preview

from ..factories import UserFactory

PAGE = "/admin/core/personaldataaccess/retention/"


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    settings.PERSONAL_DATA_RETENTION_YEARS = 5


def _mail(created_at, to="haneul@hanbit.example") -> OutgoingMail:
    mail = OutgoingMail.objects.create(kind="application_confirm", to=to, status="sent")
    OutgoingMail.objects.filter(pk=mail.pk).update(created_at=created_at)
    return mail


@pytest.fixture
def mails(db):
    cutoff = years_before(timezone.now(), 5)
    return {
        "due": [_mail(cutoff - timedelta(days=400)), _mail(cutoff - timedelta(days=3))],
        "soon": _mail(cutoff + timedelta(days=10)),
        "kept": _mail(cutoff + timedelta(days=60)),
    }


@pytest.fixture
def officer(db):
    ensure_roles()
    user = UserFactory(username="privacy", is_staff=True)
    user.groups.add(Group.objects.get(name="privacy_officer"))
    return user


def _mail_line(horizon):
    return next(line for line in horizon.lines if line.label == "core.outgoingmail")


def test_the_preview_counts_what_goes_next_and_within_30_days_and_destroys_nothing(mails):
    now, soon = retention_preview()

    assert _mail_line(now).rows == 2 and _mail_line(soon).rows == 3
    due = sorted(m.created_at for m in OutgoingMail.objects.filter(pk__in=[m.pk for m in mails["due"]]))
    assert (_mail_line(now).oldest, _mail_line(now).newest) == (due[0], due[-1])
    assert OutgoingMail.objects.count() == 4 and not BulkAction.objects.exists()


def test_the_privacy_officer_reads_the_preview_and_that_it_cannot_be_undone(client, officer, mails):
    client.force_login(officer)

    text = client.get(PAGE).content.decode()
    listing = client.get("/admin/core/personaldataaccess/").content.decode()

    assert "Destruction cannot be undone" in text and "without a confirmation" in text and "art. 21" in text
    assert "outgoing" in text.lower() and "(core.outgoingmail)" in text
    assert f'href="{PAGE}"' in listing
    assert OutgoingMail.objects.count() == 4


def test_other_staff_may_not_read_the_preview(client, registrar, mails):
    client.force_login(registrar)

    assert client.get(PAGE).status_code == 403


def test_each_purge_is_recorded_with_counts_and_ids_and_no_personal_data(client, officer, mails):
    report = personal_data_destroy_expired()

    action = BulkAction.objects.get(kind=PURGE_KIND)
    assert action.actor is None and action.count == report.total == 2
    assert sorted(action.inputs["ids"]["core.outgoingmail"]) == sorted(m.pk for m in mails["due"])
    assert action.inputs["destroyed"] == {"core.outgoingmail": 2} and action.changes == []
    assert "haneul" not in json.dumps([action.inputs, action.changes, action.summary, action.scope])
    client.force_login(officer)
    assert client.get(f"/admin/core/bulkaction/{action.pk}/change/").status_code == 200
    assert f'href="/admin/core/bulkaction/{action.pk}/change/"' in client.get(PAGE).content.decode()


def test_a_dry_run_or_a_run_with_nothing_to_destroy_records_nothing(db):
    personal_data_destroy_expired(dry_run=True)
    personal_data_destroy_expired()

    assert not BulkAction.objects.exists()


def test_old_staff_action_log_entries_go_but_the_purge_records_stay(db):
    old = timezone.now() - timedelta(days=365 * 6)
    imported = bulk_record(kind="affiliation.records_import", changes=[{"label": "김하늘", "before": None, "after": {}}])
    purge = bulk_record(kind=PURGE_KIND, summary="Destroyed 1 rows")
    BulkAction.objects.filter(pk__in=[imported.pk, purge.pk]).update(at=old)

    personal_data_destroy_expired()

    assert not BulkAction.objects.filter(pk=imported.pk).exists()
    assert BulkAction.objects.filter(pk=purge.pk).exists()
    assert BulkAction.objects.filter(kind=PURGE_KIND).count() == 2  # the old one and this run's
