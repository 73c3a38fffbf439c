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


PROJECT_APPS = ("academics", "accounts", "creditexchange", "affiliation", "notices", "staffdesk", "ustportal", "partnerapi")


def _project_fields():
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            if field.auto_created and not field.concrete:
                continue  # reverse relations
            yield model, field


def _is_lazy(value) -> bool:
    from django.utils.functional import Promise

    return isinstance(value, Promise)


def test_it_gives_every_project_model_field_an_explicit_translated_label():
    unlabelled = []
    for model, field in _project_fields():
        if getattr(field, "auto_created", False) and field.name == "id":
            continue
        if not _is_lazy(field.verbose_name):
            unlabelled.append(f"{model._meta.label}.{field.name}")
    assert unlabelled == []


def test_it_makes_every_choice_label_translatable():
    raw = []
    for model, field in _project_fields():
        for value, label in getattr(field, "flatchoices", None) or []:
            if not _is_lazy(label):
                raw.append(f"{model._meta.label}.{field.name}={value}")
    assert raw == []


def test_it_gives_every_project_model_a_translated_name():
    from django.apps import apps

    unnamed = [
        m._meta.label for m in apps.get_models()
        if m._meta.app_label in PROJECT_APPS and not (_is_lazy(m._meta.verbose_name) and _is_lazy(m._meta.verbose_name_plural))
    ]
    assert unnamed == []


# --- One English word, two meanings: each page gets the Korean of its own meaning -------------------------------


import pytest  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402


@pytest.fixture
def korean_superuser(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True, language="ko"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    return client


def _header_cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)]


def test_it_titles_the_notice_boards_column_as_a_notice_title_not_a_course_title(client, db):
    from tests.factories import NoticeFactory

    NoticeFactory()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    html = client.get(reverse("notices:list"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "제목" in _header_cells(html)
    assert "교과목명" not in html


def test_it_keeps_the_course_catalogues_title_as_a_course_title():
    with translation.override("ko"):
        assert translation.gettext("Title") == "교과목명"
        assert translation.pgettext("notice", "Title") == "제목"


def test_it_names_the_recipients_of_a_sent_partner_list_not_a_status(korean_superuser, django_capture_on_commit_callbacks):
    from tests.creditexchange.partner_list_helpers import build_scene, send

    scene = build_scene()
    send(scene, scene.hanbit, "applicants")
    html = korean_superuser.get(reverse("admin:creditexchange_partnerlist_term", args=[scene.term.pk])).content.decode()

    assert "받는 사람: exchange@hanbit.example" in re.sub(r"\s+", " ", html)
    assert "변경 후 상태" not in html


def test_it_heads_the_affiliation_admins_english_column_as_the_english_test(korean_superuser):
    from tests.factories import AffiliationApplicationFactory

    AffiliationApplicationFactory()
    html = korean_superuser.get(reverse("admin:affiliation_affiliationapplication_changelist")).content.decode()

    assert "영어 성적" in _header_cells(html)
    assert "English" not in _header_cells(html)


def test_it_shows_the_status_labels_in_the_korean_history_of_an_application(korean_superuser, confirmed_application):
    from creditexchange.models import ApplicationEvent

    ApplicationEvent.objects.create(application=confirmed_application, from_status="submitted", to_status="confirmed")
    html = korean_superuser.get(
        reverse("admin:creditexchange_temporaryidapplication_change", args=[confirmed_application.pk])
    ).content.decode()
    with translation.override("ko"):
        submitted = str(confirmed_application.Status.SUBMITTED.label)
        confirmed = str(confirmed_application.Status.CONFIRMED.label)

    assert submitted in html and confirmed in html
    assert not re.search(r">\s*(submitted|confirmed)\s*<", html)
    changelist = korean_superuser.get(reverse("admin:creditexchange_temporaryidapplication_changelist")).content.decode()
    assert "표시 이름" in _header_cells(changelist) and "Display name" not in changelist


@pytest.mark.parametrize(("count", "english"), [(1, "1 application in all."), (2, "2 applications in all.")])
def test_it_counts_applications_in_the_singular_and_plural(open_term, partner, count, english):
    from staffdesk.selectors import application_figures
    from tests.factories import ApplicationFactory

    for number in range(count):
        ApplicationFactory(term=open_term, partner=partner, home_student_number=f"N{number}")
    with translation.override("en"):
        figure = application_figures(open_term)[0]
    assert figure.note == english


def test_it_names_an_events_statuses_by_their_labels(confirmed_application):
    from creditexchange.models import ApplicationEvent, RecommendationEvent

    event = ApplicationEvent(application=confirmed_application, from_status="submitted", to_status="confirmed")
    first = ApplicationEvent(application=confirmed_application, from_status="", to_status="submitted")
    answer = RecommendationEvent(from_decision="pending", to_decision="recommended")
    with translation.override("ko"):
        submitted = str(confirmed_application.Status.SUBMITTED.label)
        assert str(event) == f"{submitted} → {confirmed_application.Status.CONFIRMED.label}"
        assert str(first) == f"∅ → {submitted}"
        assert "recommended" not in str(answer) and "pending" not in str(answer)


# makemessages (xgettext) finds strings only inside the names it is told about: a call through any other alias
# (`gettext_lazy as _lazy`) is never extracted, so its text stays English on every Korean page, silently.
EXTRACTED_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy", "pgettext",
                   "pgettext_lazy", "npgettext", "npgettext_lazy"}


def test_translation_functions_are_imported_only_under_names_makemessages_extracts():
    import ast

    root = Path(settings.BASE_DIR)
    found = []
    for path in sorted(root.glob("*/**/*.py")):
        if path.parts[len(root.parts)] in (".venv", "node_modules", "tests", "staticfiles"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    name = alias.asname or alias.name
                    if "gettext" in alias.name and name not in EXTRACTED_NAMES:
                        found.append(f"{path.relative_to(root)}: {alias.name} as {name}")
    assert found == []
