"""Window rules (SPEC §2): every write checks its window with the server clock, in Asia/Seoul."""

from datetime import datetime

from django.utils.translation import gettext as _

from core.dates import WindowState, window_state
from core.errors import WindowClosed

from .models import Term, TermWindow


def window_require_open(*, term: Term, kind: str, at: datetime | None = None) -> TermWindow:
    """Raise WindowClosed, naming the window's dates, unless ``at`` (default now) lies in [start, end)."""
    window = TermWindow.objects.filter(term=term, kind=kind).first()
    label = TermWindow.Kind(kind).label
    if window is None:
        raise WindowClosed(_("%(window)s for %(term)s has not been scheduled.") % {"window": label, "term": term})
    state = window_state(window.starts_at, window.ends_at, at)
    if state == WindowState.UPCOMING:
        raise WindowClosed(
            _("%(window)s for %(term)s opens on %(dates)s.") % {"window": label, "term": term, "dates": window.describe()}
        )
    if state == WindowState.CLOSED:
        raise WindowClosed(
            _("%(window)s for %(term)s closed (it ran %(dates)s).")
            % {"window": label, "term": term, "dates": window.describe()}
        )
    return window
