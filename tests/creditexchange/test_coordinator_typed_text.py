"""Review R2 (issue 12, finding 9): the partner coordinator's comments are typed text too, by someone outside the
university on a public page, and end up in the staff's admin and exports: control and hiding characters (bidi
overrides, zero-width) go as in every other form; a line break and a tab stay."""

from creditexchange import services
from creditexchange.models import PartnerList

from .partner_list_helpers import send


def _url(partner_list: PartnerList) -> str:
    return f"/credit-exchange/verify/{services.partner_list_token(partner_list)}/"


def test_a_coordinators_comment_loses_control_and_hiding_characters(client, scene):
    partner_list = send(scene, scene.hanbit, PartnerList.Kind.APPLICANTS)
    line = partner_list.recommendations.get(application__home_student_number="H002")

    response = client.post(_url(partner_list), {
        f"decision-{line.pk}": "not_recommended",
        f"comment-{line.pk}": "\u202eNot\u200b enrolled\x07\r\nsee\tnote",
    })

    assert response.status_code == 302
    line.refresh_from_db()
    assert line.comment == "Not enrolled\nsee\tnote"
