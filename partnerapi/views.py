"""The partner API's views: thin, each reads through ``selectors`` (scoped to the key's partner) or calls one service."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError
from core.http import client_ip, parse_id
from creditexchange.services.recommendations import recommendations_submit

from . import schema as _schema  # noqa: F401 - registers the security scheme with drf-spectacular
from . import selectors, serializers
from .auth import refused_call_throttle
from .models import ApiCall, ApiKey
from .polling import SincePagination
from .services import api_call_path

TERM_PARAMETER = OpenApiParameter("term", OpenApiTypes.INT, description="A term id from /api/v1/terms/.")
ERRORS = {
    400: OpenApiResponse(serializers.ErrorSerializer, description="A bad parameter or a refused answer."),
    401: OpenApiResponse(serializers.ErrorSerializer, description="The key is missing, unknown, expired or revoked."),
    429: OpenApiResponse(serializers.ErrorSerializer, description="Too many requests: see Retry-After."),
}
NOT_FOUND = {404: OpenApiResponse(serializers.ErrorSerializer, description="Not one of your university's.")}


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class PartnerApiView(APIView):
    """The gate of every endpoint (settings.REST_FRAMEWORK: bearer key, per-key throttle) and the call log."""

    def permission_denied(self, request, message=None, code=None):
        if not isinstance(request.auth, ApiKey):
            raise exceptions.AuthenticationFailed(_("The API key is missing, unknown, expired or revoked."))
        super().permission_denied(request, message=message, code=code)

    def handle_exception(self, exc):
        if isinstance(exc, DomainError):
            return Response({"detail": exc.message, "code": type(exc).__name__}, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE: JSON and logged, as every answer
            exc = BodyTooLarge(_("The request body is too large."))
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            exc = refused_call_throttle(self.request) or exc
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.ValidationError):  # one error shape everywhere: detail, code, and the fields
            response.data = {"detail": _first_message(exc.detail), "code": "invalid", "errors": exc.detail}
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # students' data: no shared or browser cache keeps it
        if getattr(request, "_partnerapi_unlogged", False):
            return response  # a flood of refused calls: logged up to its first 429 (auth.refused_call_throttle)
        key = getattr(request, "_partnerapi_key", None) or getattr(request._request, "_partnerapi_key", None)
        ApiCall.objects.create(
            key=key, partner_id=key.partner_id if key else None, method=request.method[:10],
            path=api_call_path(request.get_full_path()), status=response.status_code, ip=_ip(request),
        )
        return response

    @property
    def partner(self):
        return self.request.auth.partner


def _first_message(detail) -> str:
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail) if detail else _("The request is not valid.")


def _ip(request) -> str | None:
    ip = client_ip(request._request if hasattr(request, "_request") else request)
    return None if ip == "unknown" else ip


def _term_id(request) -> int | None:
    value = request.query_params.get("term")
    if value is None:
        return None
    term_id = parse_id(value)
    if term_id is None:
        raise exceptions.ValidationError({"term": [_("Give a term id from /api/v1/terms/.")]})
    return term_id


class PartnerListView(PartnerApiView, generics.ListAPIView):
    pagination_class = SincePagination
    selector = None

    def get_queryset(self):
        return type(self).selector(partner=self.partner, term_id=_term_id(self.request))


@extend_schema(summary="Terms and their windows", responses={200: serializers.TermSerializer(many=True), **ERRORS})
class TermsView(PartnerApiView, generics.ListAPIView):
    """All terms with their windows (a short list, always whole: terms carry no change time, so no ``since``)."""

    serializer_class = serializers.TermSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.partner_terms()


@extend_schema(summary="Lists sent to your university", parameters=[TERM_PARAMETER], responses={**ERRORS})
class ListsView(PartnerListView):
    """The lists sent to your university (without their rows: see one list), oldest change first."""

    serializer_class = serializers.PartnerListSerializer
    selector = selectors.partner_lists


@extend_schema(summary="One list with its rows and answer lines", responses={
    200: serializers.PartnerListDetailSerializer, **ERRORS, **NOT_FOUND,
})
class ListDetailView(PartnerApiView, generics.RetrieveAPIView):
    """One list as it was sent (``rows``) and its answer lines (``lines``: the ids to answer)."""

    serializer_class = serializers.PartnerListDetailSerializer

    def get_queryset(self):
        return selectors.partner_lists(partner=self.partner).prefetch_related("recommendations")


@extend_schema(summary="Your students' applications", parameters=[TERM_PARAMETER], responses={**ERRORS})
class ApplicationsView(PartnerListView):
    """Your students' temporary-ID applications: status, names, and the temporary student ID once issued."""

    serializer_class = serializers.ApplicationSerializer
    selector = selectors.partner_applications


@extend_schema(summary="Your students' course registrations", parameters=[TERM_PARAMETER], responses={**ERRORS})
class RegistrationsView(PartnerListView):
    """Your students' course registrations, with the no-credit mark of a student you did not recommend."""

    serializer_class = serializers.RegistrationSerializer
    selector = selectors.partner_registrations


@extend_schema(summary="Your answers (recommendations)", parameters=[TERM_PARAMETER], responses={**ERRORS})
class RecommendationsView(PartnerListView):
    """Each answer line of your lists (and answers the office recorded for you), with its decision."""

    serializer_class = serializers.RecommendationSerializer
    selector = selectors.partner_recommendations


@extend_schema(summary="Answer or revise a list until its deadline", request=serializers.AnswersSerializer, responses={
    200: serializers.AnswerResultSerializer, **ERRORS, **NOT_FOUND,
})
class AnswerView(PartnerApiView):
    """The same rules and the same trail as the coordinator's signed link (``recommendations_submit``)."""

    def post(self, request, pk: int):
        partner_list = selectors.partner_lists(partner=self.partner).filter(pk=pk).first()
        if partner_list is None:
            raise exceptions.NotFound()
        body = serializers.AnswersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decisions = {a["line"]: (a["decision"], a.get("comment", "")) for a in body.validated_data["answers"]}
        changed = recommendations_submit(
            partner_list_id=partner_list.pk, decisions=decisions, ip=_ip(request),
            user_agent=f"api:{request.auth.prefix}",
        )
        lines = partner_list.recommendations.filter(pk__in=list(decisions)).order_by("pk")
        return Response(serializers.AnswerResultSerializer({"changed": changed, "lines": lines}).data)


@extend_schema(summary="Your students' transcripts of records", parameters=[TERM_PARAMETER], responses={**ERRORS})
class TranscriptsView(PartnerListView):
    """Your students' transcripts of records as issued: code, version, SHA-256; the PDF at ``pdf_url``."""

    serializer_class = serializers.TranscriptSerializer
    selector = selectors.partner_transcripts


@extend_schema(summary="A transcript's PDF, as issued", responses={
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), **ERRORS, **NOT_FOUND,
})
class TranscriptPdfView(PartnerApiView):
    """The transcript's PDF, the stored bytes (their SHA-256 is in the list and in X-Content-SHA256)."""

    renderer_classes = [JSONRenderer]  # errors are JSON; the PDF itself is returned as it is

    def get(self, request, code: str):
        transcript = selectors.partner_transcript(partner=self.partner, code=code)
        if transcript is None:
            raise exceptions.NotFound()
        response = HttpResponse(bytes(transcript.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="transcript-{transcript.code}.pdf"'
        response["X-Content-SHA256"] = transcript.sha256
        return response


@extend_schema(exclude=True)
class NotFoundView(PartnerApiView):
    """Any other address under /api/v1/: a JSON 404 (logged like every call), not the portal's HTML page."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()
