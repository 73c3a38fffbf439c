"""What the API hands out is in the PIPA access log, like the pages that show the same data."""

from core.models import PersonalDataAccess
from creditexchange.models import TemporaryIdApplication

from .helpers import auth


def test_each_answer_with_students_data_is_recorded_with_the_partner_and_key(client, api):
    client.get("/api/v1/applications/", **auth(api.hanbit_key))
    client.get(f"/api/v1/lists/{api.hanbit_list.pk}/", **auth(api.hanbit_key))
    client.get(f"/api/v1/transcripts/{api.hanbit_transcript.code}/pdf", **auth(api.hanbit_key))
    client.get(f"/api/v1/lists/{api.garam_list.pk}/", **auth(api.hanbit_key))  # a 404: nothing was shown
    client.get("/api/v1/terms/", **auth(api.hanbit_key))  # no personal data
    entries = list(PersonalDataAccess.objects.order_by("pk"))
    reference = f"partner API · hanbit · {api.hanbit_row.prefix}"
    hanbit_ids = sorted(str(pk) for pk in TemporaryIdApplication.objects.filter(partner=api.base.hanbit).values_list("pk", flat=True))
    assert [(e.action, e.model, sorted(e.object_ids), e.reference, e.actor) for e in entries] == [
        ("list", "creditexchange.temporaryidapplication", hanbit_ids, reference, None),
        ("view", "creditexchange.partnerlist", [str(api.hanbit_list.pk)], reference, None),
        ("download", "creditexchange.transcript", [api.hanbit_transcript.code], reference, None),
    ]
    assert all(e.address == "127.0.0.1" for e in entries)
