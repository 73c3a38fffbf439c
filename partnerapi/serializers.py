"""The API's shapes: read-only serializers of plain values (typed for the OpenAPI schema) and the answer body."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from academics.models import TermWindow
from core.text import clean_typed
from creditexchange.models import CourseRegistration, PartnerList, Recommendation, TemporaryIdApplication

ANSWER_DECISIONS = [Recommendation.Decision.RECOMMENDED, Recommendation.Decision.NOT_RECOMMENDED]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    errors = serializers.JSONField(required=False, help_text="For a 400: the message of each field that was not valid.")


class WindowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TermWindow.Kind.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="Exclusive.")


class TermSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    season = serializers.CharField()
    name = serializers.CharField(source="__str__")
    windows = WindowSerializer(many=True, source="windows.all")


class PartnerListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PartnerList.Kind.choices)
    term = serializers.IntegerField(source="term_id")
    sent_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(help_text="Answers are accepted until this instant (exclusive).")
    student_count = serializers.IntegerField()
    changed_at = serializers.DateTimeField()


class LineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="pk")
    application = serializers.IntegerField(source="application_id")
    decision = serializers.ChoiceField(choices=Recommendation.Decision.choices)
    comment = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class PartnerListDetailSerializer(PartnerListSerializer):
    is_open = serializers.SerializerMethodField()
    rows = serializers.ListField(child=serializers.DictField(), help_text="The students as the list was sent.")
    lines = LineSerializer(many=True, source="recommendations.all", help_text="Answer these line ids.")

    def get_is_open(self, obj) -> bool:
        return obj.is_open()


def _student_id(application) -> str | None:
    return application.temporary_id.student_id if application.temporary_id_id else None


class ApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    term = serializers.IntegerField(source="term_id")
    home_student_number = serializers.CharField()
    name_ko = serializers.CharField(allow_blank=True)
    name_latin = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=TemporaryIdApplication.Status.choices)
    student_id = serializers.SerializerMethodField(help_text="The temporary student ID, once issued.")
    submitted_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    changed_at = serializers.DateTimeField()

    def get_student_id(self, obj) -> str | None:
        return _student_id(obj)


class OfferingSerializer(serializers.Serializer):
    code = serializers.CharField()
    section = serializers.CharField()
    title_ko = serializers.CharField()
    title_en = serializers.CharField()
    credits = serializers.IntegerField()


class RegistrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    term = serializers.IntegerField(source="term_id")
    student_id = serializers.CharField(source="student.temporary_id.student_id")
    home_student_number = serializers.CharField(source="student.temporary_id.home_student_number")
    offering = OfferingSerializer()
    status = serializers.ChoiceField(choices=CourseRegistration.Status.choices)
    registered_at = serializers.DateTimeField()
    dropped_at = serializers.DateTimeField(allow_null=True)
    no_credit = serializers.SerializerMethodField(help_text="The partner did not recommend the student: no credit.")
    changed_at = serializers.DateTimeField()

    def get_no_credit(self, obj) -> bool:
        return obj.partner_decision == Recommendation.Decision.NOT_RECOMMENDED


class RecommendationSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="pk")
    list = serializers.IntegerField(source="partner_list_id", allow_null=True)
    term = serializers.IntegerField(source="application.term_id")
    application = serializers.IntegerField(source="application_id")
    home_student_number = serializers.CharField(source="application.home_student_number")
    student_id = serializers.SerializerMethodField()
    decision = serializers.ChoiceField(choices=Recommendation.Decision.choices)
    comment = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    changed_at = serializers.DateTimeField()

    def get_student_id(self, obj) -> str | None:
        return _student_id(obj.application)


class TranscriptSerializer(serializers.Serializer):
    code = serializers.CharField()
    student_id = serializers.SerializerMethodField()
    home_student_number = serializers.CharField(source="application.home_student_number")
    term = serializers.IntegerField(source="batch.term_id")
    batch_version = serializers.IntegerField(source="batch.version")
    issued_at = serializers.DateTimeField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    pdf_url = serializers.SerializerMethodField()
    changed_at = serializers.DateTimeField()

    def get_student_id(self, obj) -> str | None:
        return _student_id(obj.application)

    @extend_schema_field(serializers.URLField)
    def get_pdf_url(self, obj) -> str:
        return reverse("partnerapi:transcript-pdf", kwargs={"code": obj.code})


class AnswerSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    decision = serializers.ChoiceField(choices=ANSWER_DECISIONS)
    comment = serializers.CharField(allow_blank=True, required=False, default="")

    def validate_comment(self, value: str) -> str:
        return clean_typed(value, multiline=True).strip()  # typed text, as the link's form cleans it (core.text)


class AnswersSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True, allow_empty=False, max_length=2000)

    def validate_answers(self, value):
        lines = [answer["line"] for answer in value]
        if len(lines) != len(set(lines)):
            raise serializers.ValidationError(_("Each line may be answered once per request."))
        return value


class AnswerResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many lines changed (an unchanged answer is not counted).")
    lines = LineSerializer(many=True)
