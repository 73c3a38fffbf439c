"""Conflicting applications (issue 10, finding 3): two people applied with one term, partner and student number.

Opening happens inside ``application_submit`` (with the partner row locked); resolving and undoing are in
``conflict_resolution``. Neither this module nor its callers update application rows while holding the
partner lock, so the lock order stays partner → application everywhere.
"""

from datetime import datetime

from core.mail import mail_queue

from ..models import ApplicationConflict, ApplicationConflictEvent, TemporaryIdApplication

Status = TemporaryIdApplication.Status


def conflict_open(
    *, application: TemporaryIdApplication, earlier: list[TemporaryIdApplication], at: datetime
) -> ApplicationConflict:
    """Open the number's conflict (or add to the open one) and tell everyone involved; the partner row is locked."""
    conflict = ApplicationConflict.objects.filter(
        term_id=application.term_id, partner_id=application.partner_id, number_key=application.number_key,
        resolved_at__isnull=True,
    ).first()
    if conflict is None:
        conflict = ApplicationConflict.objects.create(
            term_id=application.term_id, partner_id=application.partner_id, number_key=application.number_key,
            opened_at=at,
        )
        conflict.applications.add(*earlier, application)
        action = ApplicationConflictEvent.Action.OPENED
    else:
        conflict.applications.add(*earlier, application)
        action = ApplicationConflictEvent.Action.JOINED
    ApplicationConflictEvent.objects.create(
        conflict=conflict, action=action, changes={"application_id": application.pk},
    )
    # The earlier applicants learn that someone else used their number (nothing about who); one mail per address.
    notified = {application.email.lower()}
    for other in earlier:
        if other.status != Status.REJECTED and other.email.lower() not in notified:
            notified.add(other.email.lower())
            mail_queue(
                kind="application_conflict_notice", to=other.email, language=other.language,
                params={"application_id": other.pk},
            )
    mail_queue(
        kind="application_conflict_received", to=application.email, language=application.language,
        params={"application_id": application.pk},
    )
    return conflict


def application_conflict_open_for(*, application: TemporaryIdApplication) -> ApplicationConflict | None:
    """The open conflict of this application's term, partner and student number, if any."""
    return ApplicationConflict.objects.filter(
        term_id=application.term_id, partner_id=application.partner_id, number_key=application.number_key,
        resolved_at__isnull=True,
    ).first()
