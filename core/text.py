"""Text a person types: control and hiding characters removed on input (issue 12, finding 9).

``clean_typed(value, multiline=...)`` removes what no one means to type and what hides or reorders text:

* C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F), except, in a multi-line field, the line feed
  and the tab (a carriage return — browsers send CRLF — becomes a line feed);
* the format characters that hide or reorder text: bidi embeddings and overrides U+202A–U+202E, bidi isolates
  U+2066–U+2069, the marks U+200E/U+200F, the zero-width space U+200B and word joiner U+2060 (not the joiners U+200C/U+200D,
  which Persian, Arabic and Indic names need), the byte-order mark U+FEFF, and
  the Hangul fillers U+3164/U+FFA0 (they show as nothing: the usual blank Korean name);
* the line and paragraph separators U+2028/U+2029: removed from a single line, a line feed in a multi-line value;
* a single-line value is then NFC-normalised (a Hangul name typed on macOS arrives decomposed) and stripped.

A multi-line value (a ``Textarea``: reasons, comments, the notice body's HTML source) is not normalised
otherwise: only those characters go, so markup stays exactly as typed.

**Where it applies — one place.** ``install()`` (from ``PortalConfig.ready``) wraps ``forms.CharField.to_python``,
so every CharField of every form gets it: the project's forms and ModelForms, the admin's (its ModelForms build
``CharField``s for model ``CharField``/``TextField``), Django's auth forms, ``EmailField``/``URLField``/
``SlugField`` and the other ``CharField`` subclasses. Weighed against a mixin on each project form: the mixin
misses the admin's generated ModelForms and every form written later; the wrap is one documented line in
``ready()`` and cannot be forgotten. A middleware would be wrong (it cannot tell a password, a file or JSON
from typed text). Not touched:

* **passwords** (a ``PasswordInput`` widget): kept exactly as typed — the hash of a password typed with a
  control character must keep matching, and rejecting it would lock out whoever set it before;
* ``forms.JSONField`` (a CharField subclass whose text is data) and file uploads (not CharFields);
* a field that sets ``clean_typed = False``.

When nothing is left of a non-empty entry, the field says so (``ValidationError``), instead of storing an
empty value or failing later.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Zero-width non-joiner and joiner (U+200C, U+200D) stay: Persian, Arabic and Indic names need them to spell
# correctly, and emoji sequences join with them; they hide nothing on their own.
_HIDING = "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u3164\uffa0"  # + the Hangul fillers ("ㅤ")
_SINGLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_HIDING}]")
_MULTI = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_HIDING}]")  # keeps \t (09) and \n (0a)
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")


def clean_typed(value: str, *, multiline: bool = False) -> str:
    """``value`` without control and hiding characters; a single-line value also NFC-normalised and stripped."""
    if multiline:
        return _MULTI.sub("", _NEWLINES.sub("\n", value))
    return unicodedata.normalize("NFC", _SINGLE.sub("", value)).strip()


def _applies(field: forms.CharField) -> bool:
    if getattr(field, "clean_typed", True) is False or isinstance(field, forms.JSONField):
        return False
    return not isinstance(field.widget, forms.PasswordInput)


def install() -> None:
    """Wrap ``forms.CharField.to_python`` once (see the module docstring)."""
    if getattr(forms.CharField.to_python, "cleans_typed_text", False):
        return
    original = forms.CharField.to_python

    def to_python(self, value):
        if isinstance(value, str) and value and _applies(self):
            cleaned = clean_typed(value, multiline=isinstance(self.widget, forms.Textarea))
            if not cleaned.strip() and value.strip():
                raise ValidationError(
                    _("This entry holds only invisible or control characters. Type it again."), code="invisible"
                )
            value = cleaned
        return original(self, value)

    to_python.cleans_typed_text = True
    # Per process: set from the code at start-up (CoreConfig.ready()), the same on every node until a deploy.
    forms.CharField.to_python = to_python
