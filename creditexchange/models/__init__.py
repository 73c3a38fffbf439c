"""Credit exchange's models, one module per process step; every name is re-exported here, so imports and
migrations (``creditexchange.models._new_nonce``) keep working."""

from .applications import (
    ApplicationConflict,
    ApplicationConflictEvent,
    ApplicationEvent,
    TemporaryIdApplication,
    _new_nonce,
    student_number_key,
)
from .grades import GRADE_POINTS, NO_CREDIT_VALUES, Grade, GradeEvent, GradeValue, TermGrades, TermGradesEvent
from .offerings import CourseOffering, CourseRegistration, RegistrationEvent, TimeSlot
from .partner_lists import (
    ImmutableSnapshot,
    PartnerList,
    PartnerListFile,
    Recommendation,
    RecommendationEvent,
    RecommendationQuerySet,
    answered_q,
)
from .transcripts import Transcript, TranscriptBatch, TranscriptBatchFile, new_verification_code
from .waitlist import BasketItem, WaitlistEntry, WaitlistEvent, WaitlistRelease

__all__ = [
    "ApplicationConflict", "ApplicationConflictEvent", "ApplicationEvent", "TemporaryIdApplication", "_new_nonce",
    "student_number_key", "CourseOffering", "CourseRegistration", "RegistrationEvent", "TimeSlot", "ImmutableSnapshot",
    "PartnerList", "PartnerListFile", "Recommendation", "RecommendationEvent", "RecommendationQuerySet",
    "answered_q", "BasketItem", "WaitlistEntry", "WaitlistEvent", "WaitlistRelease", "GRADE_POINTS", "NO_CREDIT_VALUES",
    "Grade", "GradeEvent", "GradeValue", "TermGrades", "TermGradesEvent", "Transcript", "TranscriptBatch",
    "TranscriptBatchFile", "new_verification_code",
]
