"""Server-rendered SVG bar charts: a pure function of labels and numbers (no ORM, no JavaScript).

Horizontal bars, one ``<rect class="bar">`` per row, in the order given; the same figures are
always shown beside the chart as a table, so the chart only has to be legible, not exact.
Labels are escaped; a long label is shortened on the chart and kept whole in its tooltip.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
LABEL_WIDTH = 230
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 18
LABEL_CHARS = 26
COLOR = "#0d6efd"

Number = int | float | Decimal


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _number(value: Number | None, suffix: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = round(value, 1)
    return f"{value}{suffix}"


def bar_chart(
    bars: Sequence[tuple[str, Number | None]], *, title: str, max_value: Number | None = None, suffix: str = "",
    empty_text: str = "",
) -> SafeString:
    """An inline SVG with one horizontal bar per (label, value); ``None`` gets a zero-width bar and “—”."""
    values = [float(v) for _label, v in bars if v is not None]
    top = float(max_value) if max_value else max(values, default=0.0)
    top = top if top > 0 else 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(len(bars), 1) * ROW_HEIGHT + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" font-size="12" '
        f'font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height - 4}" stroke="#adb5bd"/>',
    ]
    if not bars and empty_text:
        parts.append(f'<text x="{LABEL_WIDTH + 8}" y="{ROW_HEIGHT - 8}" fill="#6c757d">{escape(empty_text)}</text>')
    for index, (label, value) in enumerate(bars):
        y = 4 + index * ROW_HEIGHT
        length = 0.0 if value is None else max(0.0, min(float(value), top)) / top * plot
        text_y = y + BAR_HEIGHT - 5
        parts.append(
            f'<g><title>{escape(label)}: {escape(_number(value, suffix))}</title>'
            f'<text x="{LABEL_WIDTH - 6}" y="{text_y}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{COLOR}"/>'
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{text_y}">{escape(_number(value, suffix))}</text></g>'
        )
    parts.append("</svg>")
    # bandit B308/B703 is a false positive here: every interpolated text above is escaped, the rest are numbers.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703
