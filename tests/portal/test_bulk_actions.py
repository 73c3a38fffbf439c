"""The shared bulk-action pattern (``core.bulk``): fingerprints, stale refusal, the staff action log."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import ensure_roles
from core.bulk import StalePreview, bulk_record, fingerprint, preview_check
from core.models import BulkAction
from tests.factories import UserFactory


def test_fingerprint_is_canonical_and_sees_every_value():
    a = {"quota": {"7": 3}, "weights": [Decimal("60"), Decimal("40")], "on": date(2027, 2, 28)}
    b = {"on": date(2027, 2, 28), "weights": [Decimal("60.00"), Decimal("40.0")], "quota": {"7": 3}}
    assert fingerprint(a) == fingerprint(b)  # key order and Decimal spelling do not matter
    assert fingerprint({"x": Decimal("80.00")}) == fingerprint({"x": "80"})  # readable in the log, not "8E+1"
    assert fingerprint({"x": Decimal("60.50")}) == fingerprint({"x": "60.5"})
    assert fingerprint(a) != fingerprint({**a, "quota": {"7": 2}})
    assert fingerprint(a) != fingerprint({**a, "weights": [Decimal("0"), Decimal("100")]})


def test_preview_check_refuses_changed_or_missing_fingerprint():
    state = {"ids": [1, 2, 3]}
    preview_check(expected=fingerprint(state), current={"ids": [1, 2, 3]})
    with pytest.raises(StalePreview):
        preview_check(expected=fingerprint(state), current={"ids": [1, 2]})
    with pytest.raises(StalePreview):
        preview_check(expected="", current=state)


def _staff(name, role):
    ensure_roles()
    user = UserFactory(username=name, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.django_db
def test_each_role_reads_only_its_own_actions_in_the_log(client):
    registrar, member = _staff("reg", "registrar"), _staff("member", "affiliation_committee")
    bulk_record(kind="creditexchange.temporary_ids_issue", actor=registrar, scope="term:1", summary="ISSUED-3",
                changes=[{"id": 1}, {"id": 2}, {"id": 3}])
    bulk_record(kind="affiliation.conditions_check", actor=None, scope="round:1", summary="CHECKED-6")
    row = BulkAction.objects.get(kind="creditexchange.temporary_ids_issue")
    assert (row.actor_name, row.count) == ("reg", 3)
    url = reverse("admin:core_bulkaction_changelist")
    client.force_login(registrar)
    page = client.get(url).content.decode()
    assert "ISSUED-3" in page and "CHECKED-6" not in page
    client.force_login(member)
    page = client.get(url).content.decode()
    assert "CHECKED-6" in page and "ISSUED-3" not in page
    assert client.get(reverse("admin:core_bulkaction_change", args=[row.pk])).status_code in (302, 404)


@pytest.mark.django_db
def test_undo_restores_before_values_deletes_created_rows_and_refuses_when_changed_since():
    from academics.models import Institution
    from core.bulk import UndoRefused, bulk_undo, change

    actor = UserFactory(username="undoer", is_staff=True)
    changed = Institution.objects.create(code="p1", name_ko="가", name_en="A")
    created = Institution.objects.create(code="p2", name_ko="나", name_en="B")
    action = bulk_record(kind="academics.import", actor=actor, summary="S", changes=[
        change(changed, before={"name_en": "Old"}, after={"name_en": "A"}),
        change(created, before=None, after={"name_en": "B"}),
    ])
    with pytest.raises(Exception, match="reason"):
        bulk_undo(action=action, actor=actor, reason=" ")
    Institution.objects.filter(pk=created.pk).update(name_en="Edited by hand")
    with pytest.raises(UndoRefused, match="B|p2|나"):
        bulk_undo(action=action, actor=actor, reason="wrong file")
    assert Institution.objects.get(pk=changed.pk).name_en == "A"  # nothing undone
    Institution.objects.filter(pk=created.pk).update(name_en="B")
    undo = bulk_undo(action=action, actor=actor, reason="wrong file")
    assert Institution.objects.get(pk=changed.pk).name_en == "Old"
    assert not Institution.objects.filter(pk=created.pk).exists()
    assert (undo.undoes_id, undo.reason, undo.count) == (action.pk, "wrong file", 2)
    with pytest.raises(Exception, match="already"):
        bulk_undo(action=action, actor=actor, reason="again")


@pytest.mark.django_db
def test_the_log_links_the_undo_page_of_a_registered_kind_until_it_is_undone(client):
    from core.bulk import undo_page

    member = _staff("member2", "affiliation_committee")
    imported = bulk_record(kind="affiliation.records_import", actor=member, summary="IMPORTED")
    published = bulk_record(kind="affiliation.results_publish", actor=member, summary="PUBLISHED")
    url = reverse("admin:affiliation_studentrecord_import_undo", args=[imported.pk])
    assert undo_page(imported) == url and undo_page(published) == ""  # a publication has no undo
    client.force_login(member)
    page = client.get(reverse("admin:core_bulkaction_change", args=[imported.pk])).content.decode()
    assert url in page
    undo = bulk_record(kind="affiliation.records_import", actor=member, summary="UNDONE", undoes=imported)
    assert undo_page(imported) == "" and undo_page(undo) == ""
    page = client.get(reverse("admin:core_bulkaction_change", args=[imported.pk])).content.decode()
    assert url not in page and reverse("admin:core_bulkaction_change", args=[undo.pk]) in page


@pytest.mark.django_db
def test_a_member_reads_their_own_actions_of_any_kind_but_not_others_of_that_kind(client):
    member, other = _staff("member3", "affiliation_committee"), _staff("member4", "affiliation_committee")
    bulk_record(kind="ustportal.mail_send_again", actor=member, summary="MINE-AGAIN")
    bulk_record(kind="ustportal.mail_send_again", actor=other, summary="THEIRS-AGAIN")
    client.force_login(member)
    page = client.get(reverse("admin:core_bulkaction_changelist")).content.decode()
    assert "MINE-AGAIN" in page and "THEIRS-AGAIN" not in page
