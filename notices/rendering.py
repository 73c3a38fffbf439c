"""Notice bodies: Markdown written by staff, turned into HTML that is safe to put in any page.

The Markdown source is what is stored; HTML is produced on the server whenever a page (or the admin
preview) shows a body, so every body that reaches a browser has passed the current allow-list, including
rows written by a data migration, a shell or a fixture. Markdown lets raw HTML through, so the sanitizer
is the only thing that decides what survives: an allow-list of tags and attributes, links limited to
http(s), mailto and tel with rel="noopener noreferrer", and no scripts, styles, event handlers, iframes,
forms or javascript:/data: URLs. The content of <script> and <style> is dropped, not shown as text.
"""

import markdown
import nh3
from django.utils.html import strip_tags

EXTENSIONS = ["tables", "sane_lists", "nl2br"]
EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}  # align="…" instead of a style attribute

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "blockquote", "code", "pre", "ul", "ol", "li", "dl", "dt", "dd",
    "h2", "h3", "h4", "h5", "h6", "a", "img", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _demote_h1(source: str) -> str:
    # The page title is the only <h1>; a "# Heading" in a body becomes an <h2>.
    return source.replace("<h1>", "<h2>").replace("</h1>", "</h2>")


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Markdown → HTML → allow-listed HTML (the only HTML of a notice a template may mark safe)."""
    if not source.strip():
        return ""
    html = markdown.markdown(source, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html")
    return sanitize_html(_demote_h1(html))


def plain_text(source: str) -> str:
    """The visible text of a body, for excerpts."""
    return " ".join(strip_tags(render_markdown(source)).split())
