"""What a partner's key may read: its own students' rows only, each annotated with ``changed_at`` for ``since``.

Every query starts from the partner, so another partner's id simply matches nothing (a 404, never a 403 with data).
"""

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce, Greatest

from academics.models import Institution, Term
from creditexchange.models import (
    CourseRegistration,
    PartnerList,
    Recommendation,
    TemporaryIdApplication,
    Transcript,
)
from creditexchange.selectors_lists import registrations_with_credit_mark
from creditexchange.services.transcripts import transcript_code_normalise


def partner_terms() -> QuerySet[Term]:
    return Term.objects.prefetch_related("windows").order_by("-year", "-season_order")


def partner_lists(*, partner: Institution, term_id: int | None = None) -> QuerySet[PartnerList]:
    rows = PartnerList.objects.filter(partner=partner).select_related("term").annotate(changed_at=F("sent_at"))
    return rows.filter(term_id=term_id) if term_id else rows


def partner_applications(*, partner: Institution, term_id: int | None = None) -> QuerySet[TemporaryIdApplication]:
    submitted = F("submitted_at")
    rows = (
        TemporaryIdApplication.objects.filter(partner=partner).select_related("temporary_id")
        .annotate(changed_at=Greatest(
            submitted, Coalesce("confirmed_at", submitted), Coalesce("decided_at", submitted),
            Coalesce("issued_at", submitted),
        ))
    )
    return rows.filter(term_id=term_id) if term_id else rows


def partner_registrations(*, partner: Institution, term_id: int | None = None) -> QuerySet[CourseRegistration]:
    registered = F("registered_at")
    rows = registrations_with_credit_mark(
        CourseRegistration.objects.filter(student__temporary_id__partner=partner)
        .select_related("offering", "student__temporary_id")
    ).annotate(changed_at=Greatest(registered, Coalesce("dropped_at", registered)))
    return rows.filter(term_id=term_id) if term_id else rows


def partner_recommendations(*, partner: Institution, term_id: int | None = None) -> QuerySet[Recommendation]:
    rows = (
        Recommendation.objects.filter(application__partner=partner)
        .select_related("application__temporary_id", "partner_list")
        .annotate(changed_at=Coalesce("decided_at", "partner_list__sent_at"))
        .exclude(changed_at__isnull=True)
    )
    return rows.filter(application__term_id=term_id) if term_id else rows


def partner_transcripts(*, partner: Institution, term_id: int | None = None) -> QuerySet[Transcript]:
    rows = (
        Transcript.objects.filter(batch__partner=partner).select_related("batch__term", "application__temporary_id")
        .defer("pdf").annotate(changed_at=F("issued_at"))
    )
    return rows.filter(batch__term_id=term_id) if term_id else rows


def partner_transcript(*, partner: Institution, code: str) -> Transcript | None:
    """The transcript with verification ``code`` (as printed, dashes allowed) if it is one of ``partner``'s."""
    code = transcript_code_normalise(code)
    if not code:
        return None
    return Transcript.objects.filter(batch__partner=partner, code=code).first()
