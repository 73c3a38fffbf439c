"""The partner API's scene: the partner-list scene (Hanbit, Garam, their students), a key each, lists, transcripts."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from academics.models import Institution
from creditexchange.models import PartnerList, Transcript, TranscriptBatch
from partnerapi.models import ApiKey
from partnerapi.services import api_key_issue

from ..creditexchange.partner_list_helpers import Scene, build_scene, send


@dataclass
class ApiScene:
    base: Scene
    hanbit_key: str
    garam_key: str
    hanbit_row: ApiKey
    garam_row: ApiKey
    hanbit_list: PartnerList
    garam_list: PartnerList
    hanbit_transcript: Transcript
    garam_transcript: Transcript


def transcript_for(partner: Institution, user, term, pdf: bytes) -> Transcript:
    batch = TranscriptBatch.objects.filter(partner=partner, term=term).first() or TranscriptBatch.objects.create(
        partner=partner, term=term, version=1, language="ko", issued_at=timezone.now(), trigger="staff",
    )
    application = user.temporary_id.applications.get(term=term)
    return Transcript.objects.create(
        batch=batch, application=application, student=user, rows=[], issued_at=timezone.now(), pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
    )


def build_api_scene() -> ApiScene:
    base = build_scene()
    hanbit_row, hanbit_key = api_key_issue(partner=base.hanbit, name="Hanbit SIS", expires_at=None, actor=None)
    garam_row, garam_key = api_key_issue(partner=base.garam, name="Garam SIS", expires_at=None, actor=None)
    hanbit_list = send(base, base.hanbit, PartnerList.Kind.APPLICANTS)
    garam_list = send(base, base.garam, PartnerList.Kind.REGISTRATIONS)
    return ApiScene(
        base, hanbit_key, garam_key, hanbit_row, garam_row, hanbit_list, garam_list,
        transcript_for(base.hanbit, base.han1, base.term, b"%PDF-1.7 hanbit"),
        transcript_for(base.garam, base.garam1, base.term, b"%PDF-1.7 garam"),
    )


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
