"""Sending a list to a partner as a previewed bulk action (issue 12).

``partner_list_preview`` shows the exact rows (as the partner's file will have them, in its language) and the
recipients before anything is sent; its fingerprint covers the rows, recipients and language
(``partner_list_state``). Confirming starts the staff job with it; ``partner_list_send(expected=…)`` recomputes
under the partner's lock and refuses a changed list (``StalePreview``): the page shows the new preview.

Undo: a sent mail cannot be recalled, and this is said on the confirmation page. Decision: no "withdraw" or new
version either. A list is sent once per partner, term and kind (the unique row is the send's claim), and a
partner's answers are tied to its lines; a second version would split them. If a list went out wrong, staff tell
the coordinators and record the answers they get as staff recommendations (with their source), which the final
list and the credit mark already take as the latest answer.
"""

from dataclasses import dataclass

from academics.models import Institution, Term
from core.bulk import fingerprint

from .. import exports
from ..selectors_lists import partner_list_rows
from .partner_lists import _check_sendable, partner_list_state


@dataclass
class ListPreview:
    table: list[list]  # header, then one line per student (or per course) as in the file
    recipients: list[str]
    language: str
    students: int
    fingerprint: str


def partner_list_preview(*, partner: Institution, term: Term, kind: str) -> ListPreview:
    """Read-only; raises the same refusals as the send (already sent, no students, no coordinator address)."""
    recipients = _check_sendable(partner=partner, term=term, kind=kind)
    rows = partner_list_rows(partner_id=partner.pk, term_id=term.pk, kind=kind)
    state = partner_list_state(partner=partner, term=term, kind=kind, rows=rows, recipients=recipients)
    return ListPreview(
        table=exports.lines(kind, rows, state["language"]), recipients=recipients, language=state["language"],
        students=len(rows), fingerprint=fingerprint(state),
    )
