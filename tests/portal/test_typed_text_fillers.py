"""Review R2 (issue 12, finding 9): the Hangul fillers (U+3164 "ㅤ", halfwidth U+FFA0) show as nothing and are the
usual way to type a blank Korean name; like the zero-width characters they hide text, so they are removed and a name
of only them gets the "only invisible characters" message. A single line also loses the Unicode line and paragraph
separators (U+2028, U+2029), which break it into lines elsewhere; conjoining jamo still compose (NFC)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from core.text import clean_typed


@pytest.mark.parametrize("filler", ["\u3164", "\uffa0"])
def test_a_name_of_only_hangul_fillers_is_refused(filler):
    with pytest.raises(ValidationError, match="only invisible or control characters"):
        forms.CharField().clean(filler * 3)


def test_fillers_and_separators_go_and_hangul_stays():
    assert clean_typed("김\u3164하늘\u2028\u2029") == "김하늘"
    assert clean_typed("\u1100\u1161\uffa0") == "가"
    assert clean_typed("첫 줄\u2028둘째 줄", multiline=True) == "첫 줄\n둘째 줄"
