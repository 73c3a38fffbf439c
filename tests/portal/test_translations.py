"""Every user-facing string has Korean text, and the compiled catalogue matches the source."""

import gettext
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _unquote(lines: list[str]) -> str:
    return "".join(re.match(r'^(?:msg\w+(?:\[\d\])?\s+)?"(.*)"$', line).group(1) for line in lines).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def _entries() -> list[dict]:
    entries, current, key = [], {"flags": ""}, None
    for raw in PO.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if "msgid" in current:
                entries.append(current)
            current, key = {"flags": ""}, None
        elif line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key].append(line)
        else:
            key = line.split()[0]
            current[key] = [line]
    return [{k: (_unquote(v) if k != "flags" else v) for k, v in e.items()} for e in entries]


def test_every_message_has_a_korean_translation():
    missing = [e["msgid"] for e in _entries() if e["msgid"] and not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in _entries() if "fuzzy" in e["flags"] and e["msgid"]]
    assert missing == []
    assert fuzzy == []


def test_the_compiled_catalogue_is_up_to_date():
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for entry in _entries():
        if entry["msgid"] and "msgstr" in entry and "msgctxt" not in entry:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]
