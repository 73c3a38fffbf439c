"""The waitlist of a full offering (issue 14): a fair queue, seats released at announced times.

Rules (each enforced here, on the server):

- **Join** (registration or change window open): the offering has no seat open to the student (full, or free seats
  already promised to its waitlist), the student holds an issued ID for the term, is not registered for it nor on
  its waitlist already, and is on fewer than ``settings.WAITLIST_MAX_PER_STUDENT`` waitlists of the term. The entry
  gets the next ``sequence`` of the offering under the offering's row lock (never two alike, none skipped).
- **A freed seat** (a drop, a capacity increase, an expired or declined offer) is not open to whoever refreshes
  first: while ``CourseOffering.waiting`` > 0 the registration's seat UPDATE refuses it (``waiting = 0``), and it
  goes to the waitlist at the next **release time** (``settings.WAITLIST_RELEASE_TIMES``, Asia/Seoul, e.g. 10:00
  and 17:00) that falls inside the term's registration or change window; a beat that comes only after that window
  closed does nothing (``release_due``).
- **A release** gives each free seat of an offering still published and open to exchange students to the first
  waiting student, in joining order, whose plan still allows it: a valid issued ID, an account staff have not
  deactivated, not registered for it, no clash, within the credit limit — checked then, by the same functions as a
  registration (``_lock_identity``, ``_plan_rows``, ``_check_plan``). A student whose plan does not allow it is
  *passed over* for this release (recorded once, the reason in the portal's language) and keeps their place. In
  the term's ``auto`` mode the student is registered at once (a ``RegistrationEvent`` with no actor and the
  release in its reason); in ``offer`` mode the seat is held for them (``seats_taken`` counts it) and a mail
  offers it until the next release time (``claim_until``; never after the term's change window closes), after
  which the offer expires and the next student is offered the seat.
- **Claim** an offered seat: before ``claim_until``, the offering still open to exchange students, plan re-checked
  (the student may have registered something else meanwhile). **Decline** or **leave**: the student's own entry
  only; a held seat goes back to the waitlist.
- **Every step** is a ``WaitlistEvent``: who (the student, staff, or none for the schedule), when, from → to,
  the position the student held then, and the release.
- While a waitlist has students on it, a seat nobody on it can take stays free until a release finds someone.
  Decision: the fair queue is the only way in; anyone who wants the seat can join it.

Concurrency (PostgreSQL): every path takes the student's temporary-ID row first, then the offering's row, then
the entry's row — the order a registration and a staff offering change use — so no two paths deadlock. A release
is many small transactions, one per candidate, each re-reading the free seats and the entry under those locks: two
releases at once, a drop during a release, or a student leaving during a release never put more students in than
capacity nor skip or double a place. A release killed midway is resumed by the next beat (``finished_at`` empty);
its figures are counted from its events when it finishes, so two workers or a resumed run count each step once.

URLs (creditexchange/urls.py): ``POST courses/<offering_id>/waitlist/`` (join),
``POST waitlist/<entry_id>/leave/``, ``POST waitlist/<entry_id>/claim/``.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from academics.models import Term, TermWindow
from academics.selectors import term_windows
from accounts.models import TemporaryStudentId, User
from core import dates
from core.errors import DomainError, InvalidTransition, NotEligible
from core.mail import mail_queue

from ..models import (
    CourseOffering,
    CourseRegistration,
    RegistrationEvent,
    WaitlistEntry,
    WaitlistEvent,
    WaitlistRelease,
)
from .registrations import _check_plan, _lock_identity, _plan_rows, _require_window

Status = WaitlistEntry.Status
ACTIVE = (Status.WAITING, Status.OFFERED)
OPEN_KINDS = (TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE)
PASSED_OVER = {"from_status": Status.WAITING, "to_status": Status.WAITING}  # the event of a student passed over


def _position(entry: WaitlistEntry) -> int:
    """1 for the first student still waiting; an offered entry counts before every waiting one (also before one
    who joined earlier and was passed over), offered entries among themselves in joining order."""
    active = WaitlistEntry.objects.filter(offering_id=entry.offering_id, status__in=ACTIVE)
    if entry.status == Status.OFFERED:
        return active.filter(status=Status.OFFERED, sequence__lte=entry.sequence).count()
    return active.filter(Q(status=Status.OFFERED) | Q(sequence__lte=entry.sequence)).count()


def waitlist_position(*, entry: WaitlistEntry) -> int | None:
    return _position(entry) if entry.is_active else None


def _event(entry: WaitlistEntry, before: str, *, actor=None, reason: str = "", position=None, release=None) -> None:
    WaitlistEvent.objects.create(
        entry=entry, from_status=before, to_status=entry.status, actor=actor, reason=str(reason), position=position,
        release=release,
    )


def _open_to_exchange(offering: CourseOffering) -> bool:
    """The offering rule of a registration (``registration_submit``), re-read under the lock: staff may withdraw an
    offering or close it to exchange students while students wait for it."""
    return offering.is_published and offering.open_to_exchange


def _lock_offering(offering_id: int) -> CourseOffering:
    return CourseOffering.objects.select_for_update(of=("self",)).select_related("term").get(pk=offering_id)


def waitlist_join(*, student: User, offering_id: int, at: datetime | None = None) -> WaitlistEntry:
    at = at or timezone.now()
    offering = CourseOffering.objects.select_related("term").filter(pk=offering_id).first()
    if offering is None or not offering.is_published or not offering.open_to_exchange:
        raise NotEligible(_("This course is not open for registration by exchange students."))
    _require_window(term=offering.term, kinds=OPEN_KINDS, at=at)
    with transaction.atomic():
        _lock_identity(student=student, term=offering.term)
        offering = _lock_offering(offering.pk)
        if offering.has_capacity:
            raise NotEligible(_("%(course)s has a free seat: register for it instead.") % {"course": offering}, code="free")
        _plan_rows(student=student, offering=offering)  # refuses if already registered
        mine = WaitlistEntry.objects.filter(student=student, term=offering.term, status__in=ACTIVE)
        if any(e.offering_id == offering.pk for e in mine):
            raise NotEligible(_("You are already on the waitlist of %(course)s.") % {"course": offering}, code="duplicate")
        if len(mine) >= settings.WAITLIST_MAX_PER_STUDENT:
            raise NotEligible(
                _("You are already on %(count)s waitlists of %(term)s, the most allowed. Leave one first.")
                % {"count": settings.WAITLIST_MAX_PER_STUDENT, "term": offering.term}, code="limit",
            )
        last = WaitlistEntry.objects.filter(offering=offering).aggregate(last=Max("sequence"))["last"] or 0
        entry = WaitlistEntry.objects.create(student=student, offering=offering, term=offering.term, sequence=last + 1)
        CourseOffering.objects.filter(pk=offering.pk).update(waiting=F("waiting") + 1)
        _event(entry, "", actor=student, position=offering.waiting + 1)
    return entry


def _lock_student(student_id: int) -> None:
    list(TemporaryStudentId.objects.select_for_update().filter(user_id=student_id).order_by("pk").values_list("pk", flat=True))


def _leave(entry_id: int, *, student: User | None, to: str, actor, reason: str = "") -> WaitlistEntry:
    """Take an active entry off its waitlist (the student's own when ``student`` is given); a held seat is freed."""
    found = WaitlistEntry.objects.filter(pk=entry_id)
    if student is not None:
        found = found.filter(student=student)
    entry = found.first()
    if entry is None:
        raise NotEligible(_("This waitlist entry does not exist."))
    with transaction.atomic():
        _lock_student(entry.student_id)
        offering = _lock_offering(entry.offering_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if not entry.is_active:
            raise InvalidTransition(_("You are no longer on the waitlist of %(course)s.") % {"course": offering})
        before, position = entry.status, _position(entry)
        if before == Status.OFFERED:
            CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=F("seats_taken") - 1, waiting=F("waiting") - 1)
            if to == Status.LEFT:
                to = Status.DECLINED
        else:
            CourseOffering.objects.filter(pk=offering.pk).update(waiting=F("waiting") - 1)
        entry.status, entry.resolved_at = to, timezone.now()
        entry.save(update_fields=["status", "resolved_at"])
        _event(entry, before, actor=actor, reason=reason, position=position)
    return entry


def waitlist_leave(*, student: User, entry_id: int) -> WaitlistEntry:
    """The student leaves a waitlist, or declines a seat offered to them."""
    return _leave(entry_id, student=student, to=Status.LEFT, actor=student)


def waitlist_remove(*, entry_id: int, actor: User, reason: str) -> WaitlistEntry:
    """Staff take a student off a waitlist, with a reason (recorded; the student can join again at the end)."""
    if not reason.strip():
        raise DomainError(_("Give a reason when removing a student from a waitlist."))
    return _leave(entry_id, student=None, to=Status.REMOVED, actor=actor, reason=reason.strip())


def _register(student_id: int, offering: CourseOffering, *, actor, reason: str) -> CourseRegistration:
    registration = CourseRegistration.objects.create(student_id=student_id, offering=offering, term_id=offering.term_id)
    RegistrationEvent.objects.create(
        registration=registration, from_status="", to_status=CourseRegistration.Status.REGISTERED, actor=actor,
        reason=reason,
    )
    return registration


def waitlist_claim(*, student: User, entry_id: int, at: datetime | None = None) -> CourseRegistration:
    """Take the seat offered to the student (the term's "offer" mode) before its deadline.

    A claim the plan refuses (a clash or the credit limit, from a course registered since the offer) keeps the offer
    until its deadline, by decision: the student may drop the other course and claim, or decline so that the next
    student is offered the seat at the next release; at the deadline it passes on by itself.
    """
    at = at or timezone.now()
    entry = WaitlistEntry.objects.select_related("term").filter(pk=entry_id, student=student).first()
    if entry is None:
        raise NotEligible(_("This waitlist entry does not exist."))
    with transaction.atomic():
        _lock_identity(student=student, term=entry.term)
        offering = _lock_offering(entry.offering_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != Status.OFFERED:
            raise InvalidTransition(_("No seat of %(course)s is offered to you now.") % {"course": offering})
        if not _open_to_exchange(offering):
            raise NotEligible(_("This course is not open for registration by exchange students."))
        if not dates.before(entry.claim_until, at):
            raise InvalidTransition(
                _("The seat of %(course)s offered to you could be claimed until %(date)s (Asia/Seoul).")
                % {"course": offering, "date": dates.when(entry.claim_until)}
            )
        rows = _plan_rows(student=student, offering=offering)
        _check_plan(student=student, offering=offering, rows=rows)
        position = _position(entry)
        with override(settings.LANGUAGE_CODE):  # the trail is written in the portal's language, as a release's
            reason = _("Claimed from the waitlist.")
        entry.registration = _register(student.pk, offering, actor=student, reason=reason)
        entry.status, entry.resolved_at = Status.REGISTERED, at
        entry.save(update_fields=["status", "resolved_at", "registration"])
        CourseOffering.objects.filter(pk=offering.pk).update(waiting=F("waiting") - 1)
        _event(entry, Status.OFFERED, actor=student, position=position)
    return entry.registration


# --- release times -------------------------------------------------------------------------------------------


def _clock_times() -> list[time]:
    return sorted(time(*(int(part) for part in value.strip().split(":"))) for value in settings.WAITLIST_RELEASE_TIMES)


def _instants(first_day, days: int) -> list[datetime]:
    return [dates.moment(first_day + timedelta(days=n), t) for n in range(days) for t in _clock_times()]


def _open_windows(term: Term) -> list[TermWindow]:
    windows = term_windows(term_id=term.pk)
    return [windows[kind] for kind in OPEN_KINDS if kind in windows]


def release_due(*, term: Term, at: datetime | None = None) -> datetime | None:
    """The latest announced release instant at or before ``at`` that fell inside the term's registration or change
    window (looking back two days: a beat that missed 10:00 does it as soon as it runs), or None. None too once that
    window has closed at ``at``: a late beat registers nobody and offers nothing outside the windows (an offer's
    deadline would fall after them)."""
    at = at or timezone.now()
    windows = _open_windows(term)
    if not any(w.is_open(at) for w in windows):
        return None
    due = [s for s in _instants(dates.seoul_day(at) - timedelta(days=2), 3) if s <= at]
    due = [s for s in due if any(w.is_open(s) for w in windows)]
    return max(due) if due else None


def next_release(*, term: Term, at: datetime | None = None) -> datetime | None:
    """The next announced release instant after ``at`` inside the term's registration or change window."""
    at = at or timezone.now()
    ahead = []
    for window in _open_windows(term):  # each window's own days: a gap between them may be weeks long
        if window.ends_at > at:
            first = dates.seoul_day(max(at, window.starts_at))
            days = (dates.seoul_day(window.ends_at) - first).days + 1
            ahead += [s for s in _instants(first, days) if s > at and window.is_open(s)]
    return min(ahead) if ahead else None


def _claim_deadline(term: Term, at: datetime) -> datetime:
    """Until the next release time (when an unclaimed offer goes to the next student), or the change window's end."""
    following = [s for s in _instants(dates.seoul_day(at), 15) if s > at]
    deadline = min(following) if following else at + timedelta(days=1)
    ends = [w.ends_at for w in _open_windows(term) if w.is_open(at)]
    return min([deadline, *ends])


# --- a release ------------------------------------------------------------------------------------------------


def _expire_offers(term: Term, release: WaitlistRelease, at: datetime) -> None:
    for entry_id in WaitlistEntry.objects.filter(term=term, status=Status.OFFERED, claim_until__lte=at).values_list("pk", flat=True):
        with transaction.atomic():
            entry = WaitlistEntry.objects.get(pk=entry_id)
            _lock_offering(entry.offering_id)
            entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
            if entry.status != Status.OFFERED or dates.before(entry.claim_until, at):
                continue
            position = _position(entry)
            CourseOffering.objects.filter(pk=entry.offering_id).update(seats_taken=F("seats_taken") - 1, waiting=F("waiting") - 1)
            entry.status, entry.resolved_at = Status.EXPIRED, at
            entry.save(update_fields=["status", "resolved_at"])
            _event(entry, Status.OFFERED, position=position, release=release)


def _mail(entry: WaitlistEntry, kind: str) -> None:
    student = entry.student
    if student.email:
        mail_queue(kind=kind, to=student.email, language=student.language, params={"entry_id": entry.pk})


def _release_seat(offering_id: int, release: WaitlistRelease, at: datetime, passed: set[int]) -> bool:
    """Give one free seat of the offering to the first waiting student whose plan allows it. False: nothing more
    to give (no free seat, or nobody left to try in this release)."""
    candidate = (
        WaitlistEntry.objects.filter(offering_id=offering_id, status=Status.WAITING).exclude(pk__in=passed)
        .order_by("sequence").select_related("student", "term").first()
    )
    if candidate is None:
        return False
    reason_when = dates.when(release.scheduled_for)
    with transaction.atomic():
        try:
            _lock_identity(student=candidate.student, term=candidate.term)
            refusal = None
        except NotEligible as exc:
            _lock_student(candidate.student_id)
            refusal = exc
        offering = _lock_offering(offering_id)
        if offering.seats_taken >= offering.capacity or not _open_to_exchange(offering):
            return False
        entry = WaitlistEntry.objects.select_for_update().get(pk=candidate.pk)
        if entry.status != Status.WAITING:
            return True  # left meanwhile: try the next one
        entry.student, entry.term = candidate.student, candidate.term
        position = _position(entry)
        if refusal is None and not entry.student.is_active:
            # Staff deactivate an account instead of revoking a used ID; the release acts without a sign-in.
            refusal = NotEligible(_("The student's account is deactivated."))
        if refusal is None:
            try:
                _check_plan(student=entry.student, offering=offering, rows=_plan_rows(student=entry.student, offering=offering))
            except NotEligible as exc:
                refusal = exc
        if refusal is not None:
            # Once per release: a second worker doing the same release, or a resumed one, finds it under the entry lock.
            if not entry.events.filter(release=release, **PASSED_OVER).exists():
                reason = _("Passed over at the release of %(date)s: %(why)s") % {"date": reason_when, "why": refusal.message}
                _event(entry, Status.WAITING, reason=reason, position=position, release=release)
            passed.add(entry.pk)
            return True
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=F("seats_taken") + 1)
        if offering.term.waitlist_mode == Term.WaitlistMode.OFFER:
            entry.status, entry.offered_at, entry.claim_until = Status.OFFERED, at, _claim_deadline(offering.term, at)
            entry.save(update_fields=["status", "offered_at", "claim_until"])
            _event(entry, Status.WAITING, position=position, release=release)
            _mail(entry, "waitlist_offered")
        else:
            reason = _("From the waitlist, release of %(date)s.") % {"date": reason_when}
            entry.registration = _register(entry.student_id, offering, actor=None, reason=reason)
            entry.status, entry.resolved_at = Status.REGISTERED, at
            entry.save(update_fields=["status", "resolved_at", "registration"])
            CourseOffering.objects.filter(pk=offering.pk).update(waiting=F("waiting") - 1)
            _event(entry, Status.WAITING, position=position, release=release)
            _mail(entry, "waitlist_registered")
    return True


def waitlist_release(
    *, term: Term, scheduled_for: datetime, actor: User | None = None, at: datetime | None = None
) -> WaitlistRelease | None:
    """Do the release of ``scheduled_for`` for the term once: expire unclaimed offers, then fill every free seat
    of every offering with a waitlist. None when that release is already done. Safe to run twice at once."""
    at = at or timezone.now()
    try:
        with transaction.atomic():
            release, _created = WaitlistRelease.objects.get_or_create(term=term, scheduled_for=scheduled_for, defaults={"actor": actor})
    except IntegrityError:
        release = WaitlistRelease.objects.get(term=term, scheduled_for=scheduled_for)
    if release.finished_at is not None:
        return None
    # The trail's reasons in the portal's language, the refusals written into them too (they are made in the
    # active language when raised), whoever runs the release: the beat, or a staff page in English.
    with override(settings.LANGUAGE_CODE):
        _expire_offers(term, release, at)
        offerings = CourseOffering.objects.filter(
            term=term, waiting__gt=0, seats_taken__lt=F("capacity"), published_at__isnull=False, open_to_exchange=True
        ).order_by("pk")
        for offering_id in offerings.values_list("pk", flat=True):
            passed: set[int] = set()
            while _release_seat(offering_id, release, at, passed):
                pass
    _release_finish(release)
    release.refresh_from_db()
    return release


def _release_finish(release: WaitlistRelease) -> None:
    """The release's figures are counted from its events, not added up by each worker: a release done by two workers
    at once, or resumed after one was killed, counts every step once (the row lock orders the two counts)."""
    with transaction.atomic():
        WaitlistRelease.objects.select_for_update().filter(pk=release.pk).values_list("pk", flat=True).first()
        counts = WaitlistEvent.objects.filter(release=release).aggregate(
            registered=Count("pk", filter=Q(to_status=Status.REGISTERED)),
            offered=Count("pk", filter=Q(to_status=Status.OFFERED)),
            passed_over=Count("pk", filter=Q(**PASSED_OVER)),
            expired=Count("pk", filter=Q(to_status=Status.EXPIRED)),
        )
        WaitlistRelease.objects.filter(pk=release.pk).update(**counts, finished_at=timezone.now())


def waitlist_release_due(*, at: datetime | None = None) -> list[WaitlistRelease]:
    """Beat (every few minutes): each term with students on a waitlist gets its latest due release, once."""
    at = at or timezone.now()
    done = []
    term_ids = WaitlistEntry.objects.filter(status__in=ACTIVE).values_list("term_id", flat=True).distinct()
    for term in Term.objects.filter(pk__in=list(term_ids)):
        scheduled_for = release_due(term=term, at=at)
        if scheduled_for is None:
            # No release once the windows have closed, but an offer that ran out still gives its seat back: a
            # seat held for nobody would keep the offering "full" and its waitlist counted for ever.
            _expire_offers(term, None, at)
        else:
            release = waitlist_release(term=term, scheduled_for=scheduled_for, at=at)
            if release is not None:
                done.append(release)
    return done


def waitlist_restore(*, entry_id: int, actor: User, reason: str) -> WaitlistEntry:
    """Undo a staff removal (with a reason): the student is back at the place they had (same ``sequence``)."""
    if not reason.strip():
        raise DomainError(_("Give a reason when putting a student back on a waitlist."))
    entry = WaitlistEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotEligible(_("This waitlist entry does not exist."))
    with transaction.atomic():
        _lock_student(entry.student_id)
        offering = _lock_offering(entry.offering_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != Status.REMOVED:
            raise InvalidTransition(_("Only a student removed by staff can be put back on the waitlist."))
        if WaitlistEntry.objects.filter(student_id=entry.student_id, offering=offering, status__in=ACTIVE).exists():
            raise InvalidTransition(_("The student has joined this waitlist again meanwhile."))
        if CourseRegistration.objects.filter(
            student_id=entry.student_id, offering=offering, status=CourseRegistration.Status.REGISTERED
        ).exists():
            raise InvalidTransition(_("The student is registered for %(course)s now.") % {"course": offering})
        entry.status, entry.resolved_at = Status.WAITING, None
        entry.save(update_fields=["status", "resolved_at"])
        CourseOffering.objects.filter(pk=offering.pk).update(waiting=F("waiting") + 1)
        _event(entry, Status.REMOVED, actor=actor, reason=reason.strip(), position=_position(entry))
    return entry
