"""The home-student account a record writes, and which e-mail address an import gives it (issue 10; issue 12, 5a)."""

from enum import StrEnum

from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError

from ..models import StudentRecord


class AccountRefused(DomainError):
    """The account a record would write is not a home-student account the import may touch."""


def record_account_resolve(*, student_number: str, record: StudentRecord | None = None, lock: bool = False) -> User | None:
    """The home-student account a record of ``student_number`` may write; None when one is to be created.

    Only a ``home`` account whose user name is the student number (case-insensitively) and that has no staff
    rights qualifies; anything else raises ``AccountRefused`` and nothing is written (issue 10, finding 1).
    """
    users = User.objects.select_for_update() if lock else User.objects
    if record is not None and record.user_id is not None:
        user = users.get(pk=record.user_id)
        if user.kind != User.Kind.HOME or user.username.lower() != student_number.lower():
            raise AccountRefused(
                _("the record %(number)s is linked to an account that is not a home-student account this import "
                  "created; a superuser must check it") % {"number": student_number}
            )
    else:
        user = users.filter(username__iexact=student_number).first()
        if user is None:
            return None
        if user.kind != User.Kind.HOME:
            raise AccountRefused(
                _("student number %(number)s is already the user name of a staff or exchange-student account")
                % {"number": student_number}
            )
    if user.is_staff or user.is_superuser or user.groups.exists():
        raise AccountRefused(
            _("the account %(number)s has staff rights; the import does not change it") % {"number": student_number}
        )
    return user


def record_account_write(*, record: StudentRecord, email: str, language: str) -> User:
    """Create or update the record's home-student account (call inside a transaction, after the checks above).

    ``email`` is the address to write ("" leaves the account's address as it is): which one that is, for an
    existing account, the import decides (``email_plan``). The language is set only on a new account (the
    student chooses it on the profile afterwards); ``is_active`` is never changed.
    """
    user = record_account_resolve(student_number=record.student_number, record=record if record.pk else None, lock=True)
    if user is None:
        user = User(username=record.student_number, kind=User.Kind.HOME, email=email, display_name=record.name,
                    language=language)
        user.set_unusable_password()
        user.save()
    elif email and email != user.email:
        user.email = email
        user.save(update_fields=["email"])
    record.user = user
    return user


class EmailConflicts(StrEnum):
    """An e-mail conflict: keep the account's address (default) or take the record's."""

    KEEP = "keep"
    TAKE = "take"


KEEP, TAKE = EmailConflicts.KEEP, EmailConflicts.TAKE


def email_plan(*, user: User | None, record: StudentRecord, row_email: str, decision: str) -> tuple[str, bool]:
    """(address to write or "", whether it is a conflict) for one row (issue 12, finding 5a).

    An account address that differs from the one the last import gave (``imported_email``), or that the student
    confirmed after that import (``email_changed_at``), was set by the student or by the office for them, whichever
    way: a different address in the file is then a conflict, kept unless staff chose to take the record's.
    """
    if user is None or not user.email:
        return row_email, False
    if not row_email or row_email.lower() == user.email.lower():
        return "", False
    confirmed_later = user.email_changed_at is not None and (
        record.imported_at is None or user.email_changed_at > record.imported_at)
    if user.email.lower() != (record.imported_email or "").lower() or confirmed_later:
        return (row_email if decision == TAKE else ""), True
    return row_email, False
