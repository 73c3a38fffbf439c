"""The catalogue row's cells that depend only on the offering and the language, rendered once per distinct input.

The row (``_offering_row.html``) is rendered on every Register click and for every row of a catalogue page; its
code, title, credits, time and place cells (``_offering_cells.html``) are the same for every student until the
offering, its department, campus or slots change. They are kept in this process by the exact values they show
(``cells_key`` lists every value ``_offering_cells.html`` reads: keep the two together), so a change shows at once
and nothing personal is ever kept: the seats and the buttons (with their CSRF tokens) are rendered every time.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

MAX_ROWS = 4096  # distinct (offering, language, values) kept; the whole memo is dropped when full
# Per process: rendered cells keyed by every value they show (``cells_key``): another node renders the same HTML.
_cells: dict[tuple, str] = {}


def cells_key(offering) -> tuple:
    department, campus = offering.department, offering.campus
    return (
        get_language(), offering.pk, offering.code, offering.section, offering.title_ko, offering.title_en,
        offering.instructor, offering.credits, offering.location,
        (department.name_ko, department.name_en) if department is not None else None,
        (campus.name_ko, campus.name_en),
        tuple((slot.weekday, slot.starts_at, slot.ends_at) for slot in offering.slots.all()),
    )


@register.simple_tag
def offering_cells(offering) -> SafeString:
    key = cells_key(offering)
    html = _cells.get(key)
    if html is None:
        html = render_to_string("creditexchange/_offering_cells.html", {"offering": offering})  # a SafeString
        if len(_cells) >= MAX_ROWS:
            _cells.clear()
        _cells[key] = html
    return html
