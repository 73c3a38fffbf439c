"""Undo of a student-record import (issue 12): ``records_import_undo``, never the generic ``bulk_undo``.

Design decisions:

- Everything the import wrote comes back or nothing does: record fields, the replaced semester history and the
  import stamps (``imported_at``, ``imported_email``), so an undone post-winter import no longer lets the
  conditions check run. Every record must still hold what the import wrote, else the undo is refused, naming it.
- Records and accounts the import created are deleted, unless they are in use: a record with an application or
  an eligibility exception granted to it (deleting the record would delete the exception and its reason), or an
  account the student has set a password for or signed in with, makes the undo refuse.
- **No account takeover through undo.** An undo could otherwise put back an address the student had left (a
  recycled mailbox, then a set-password link). Addresses the import changed stay as they are unless the undo
  itself decides to restore them (``restore_emails=True``, the same explicit decision the import needed), and
  then only where the account still has the address the import wrote. The kept ones are listed in the record.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from academics.models import Term
from accounts.models import User
from core.bulk import UndoRefused, bulk_record, change
from core.errors import DomainError
from core.models import BulkAction

from ..models import SemesterRecord, StudentRecord
from .records import HISTORY, KIND, _stored_history, _values

RECORD, ACCOUNT = "affiliation.studentrecord", "accounts.user"


def _plain(record: StudentRecord, names) -> dict:
    values = _values(record, _stored_history(record))
    return change(record, before=None, after={name: values.get(name) for name in names})["after"]


def _check_records(entries) -> tuple[list, list, list]:
    planned, moved, in_use = [], [], []
    # All at once and by id, as the import and the winter check lock them: one by one in the file's order, an undo
    # deadlocked with an import confirmed at the same instant.
    list(StudentRecord.objects.select_for_update(of=("self",)).filter(pk__in=[e["id"] for e in entries]).order_by("pk")
         .values_list("pk"))
    for entry in entries:
        record = StudentRecord.objects.select_for_update(of=("self",)).prefetch_related("semesters__term").filter(
            pk=entry["id"]).first()
        label = entry.get("label") or f"#{entry['id']}"
        if record is None or _plain(record, entry["after"]) != entry["after"]:
            moved.append(label)
        elif entry["before"] is None and (record.applications.exists() or record.exceptions.exists()):
            in_use.append(label)  # deleting it would delete the application or the granted exception with it
        else:
            planned.append((record, entry))
    return planned, moved, in_use


def _check_accounts(entries, *, restore_emails: bool) -> tuple[list, list, list, list, list]:
    created, restored, kept, moved, in_use = [], [], [], [], []
    for entry in entries:
        user = User.objects.select_for_update().filter(pk=entry["id"]).first()
        if user is None:
            continue
        if entry["before"] is None:
            (in_use if user.has_usable_password() or user.last_login else created).append(user)
        elif not restore_emails:
            kept.append(user.username)
        elif user.email != entry["after"]["email"]:
            moved.append(user.username)
        else:
            restored.append((user, entry))
    return created, restored, kept, moved, in_use


def _restore(record: StudentRecord, before: dict) -> None:
    names = [name for name in before if name != HISTORY]
    for name in names:
        field = record._meta.get_field(name)
        value = before[name]
        setattr(record, field.attname, field.to_python(value) if value is not None else None)
    record.save(update_fields=[record._meta.get_field(name).name for name in names] or None)
    if HISTORY in before:
        SemesterRecord.objects.filter(record=record).delete()
        for text in filter(None, before[HISTORY].split("; ")):
            term, status = text.rsplit(":", 1)
            year, season = term.split("-", 1)
            SemesterRecord.objects.create(
                record=record, term=Term.objects.get_or_create(year=int(year), season=season)[0], status=status)


def records_import_undo(*, action: BulkAction, actor, reason: str, restore_emails: bool = False) -> BulkAction:
    """Undo one records import with a reason (see the module docstring); returns the undo's ``BulkAction``."""
    if action.kind != KIND or action.undoes_id is not None:
        raise DomainError(_("This is not a student-record import."))
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for undoing this action."))
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().get(pk=action.pk)
        if BulkAction.objects.filter(undoes=action).exists():
            raise DomainError(_("This action was already undone."))
        records, moved, in_use = _check_records([e for e in action.changes if e["object"] == RECORD])
        created, restored, kept, moved_accounts, used = _check_accounts(
            [e for e in action.changes if e["object"] == ACCOUNT], restore_emails=restore_emails)
        if moved or moved_accounts:
            raise UndoRefused(_("Changed since this import, so nothing was undone: %(objects)s.")
                              % {"objects": ", ".join(moved + moved_accounts)})
        if in_use or used:
            raise DomainError(_("In use since this import (an application, an eligibility exception, or an account the "
                                "student has signed in with or set a password for), so nothing was undone: %(objects)s.")
                              % {"objects": ", ".join(in_use + [u.username for u in used])})
        undone = []
        for record, entry in records:
            if entry["before"] is None:
                record.delete()
                undone.append({**entry, "before": entry["after"], "after": None})
            else:
                _restore(record, entry["before"])
                undone.append({**entry, "before": entry["after"], "after": entry["before"]})
        for user in created:
            undone.append(change(user, before={"username": user.username, "email": user.email}, after=None))
            user.delete()
        for user, entry in restored:
            user.email = entry["before"]["email"]
            user.save(update_fields=["email"])
            undone.append({**entry, "before": entry["after"], "after": entry["before"]})
        return bulk_record(
            kind=KIND, actor=actor, scope=action.scope, changes=undone, reason=reason.strip(), undoes=action,
            inputs={"undoes": action.pk, "restore_emails": restore_emails, "emails_kept": kept},
            summary=_("Undone: %(summary)s") % {"summary": action.summary},
        )


def records_import_undo_preview(*, action: BulkAction) -> dict:
    """What ``records_import_undo`` would do now (nothing is changed): records restored or deleted, addresses that
    stay or could be restored, and what would make it refuse."""
    if action.kind != KIND or action.undoes_id is not None:
        raise DomainError(_("This is not a student-record import."))
    with transaction.atomic():
        records, moved, in_use = _check_records([e for e in action.changes if e["object"] == RECORD])
        accounts = [e for e in action.changes if e["object"] == ACCOUNT]
        created, restorable, _kept, moved_accounts, used = _check_accounts(accounts, restore_emails=True)
        transaction.set_rollback(True)
    return {
        "restored": [entry["label"] for _record, entry in records if entry["before"] is not None],
        "deleted": [entry["label"] for _record, entry in records if entry["before"] is None],
        "accounts_deleted": [user.username for user in created],
        "emails": [(user.username, entry["after"]["email"], entry["before"]["email"]) for user, entry in restorable],
        "moved": moved + moved_accounts, "in_use": in_use + [user.username for user in used],
        "undone": BulkAction.objects.filter(undoes=action).exists(),
        "checked_rounds": _checks_since(action, [record.pk for record, _entry in records]),
    }


def _checks_since(action: BulkAction, record_ids: list[int]) -> list[str]:
    """Rounds whose winter-session check judged these records after this import: undoing the import does not undo
    the cancellations it led to (each pass is reinstated on its own, with a reason), so the page warns."""
    from ..models import AffiliationRound

    rounds = AffiliationRound.objects.filter(
        conditions_checked_at__gt=action.at, applications__record__in=record_ids
    ).distinct().select_related("term")
    return [str(round) for round in rounds]
