"""The mail builders' registry and their shared rendering (Healthchecks' hc/lib/emails.py): subject, text, HTML.

Each app writes one function per kind of mail in its own ``emails.py`` and registers them in its
``AppConfig.ready()`` (``mail_register``), with the loaders of the attachments its mails carry
(``attachment_register``); the kernel knows no app. Only the mail task calls ``render_mail``; every message
renders in the recipient's language.
"""

from collections.abc import Callable

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from .models import OutgoingMail

Builder = Callable[[OutgoingMail], tuple[str, str, str]]
AttachmentLoader = Callable[[dict], tuple[str, bytes, str]]

# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
BUILDERS: dict[str, Builder] = {}
# Attachment references an OutgoingMail may carry, by "kind"; each loader returns (filename, bytes, mimetype).
ATTACHMENTS: dict[str, AttachmentLoader] = {}


def _register(registry: dict, entries: dict, what: str) -> None:
    for kind, function in entries.items():
        known = registry.get(kind)
        if known is not None and known is not function:
            raise ValueError(f"{what} {kind!r} is registered already, by {known.__module__}")
        registry[kind] = function


def mail_register(builders: dict[str, Builder]) -> None:
    """An app's mails, by kind (``OutgoingMail.kind``); a kind belongs to one app."""
    _register(BUILDERS, builders, "the mail kind")


def attachment_register(loaders: dict[str, AttachmentLoader]) -> None:
    _register(ATTACHMENTS, loaders, "the attachment kind")


def absolute(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}"


def _plain(template_name: str, context: dict) -> str:
    """A plain-text template rendered without HTML escaping: "O'Brien & Co." stays as typed in a text mail."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render(name: str, context: dict) -> tuple[str, str, str]:
    """``emails/<name>_subject.txt``, ``_body.txt`` and ``_body.html`` with ``context`` (and the portal's address)."""
    context = {"portal_url": settings.PORTAL_BASE_URL, **context}
    subject = " ".join(_plain(f"emails/{name}_subject.txt", context).split())
    text = _plain(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    return subject, text, html


def render_attachments(mail: OutgoingMail) -> list[tuple[str, bytes, str]]:
    return [ATTACHMENTS[reference["kind"]](reference) for reference in mail.attachments or []]


def render_mail(mail: OutgoingMail) -> tuple[str, str, str]:
    with translation.override(mail.language or settings.LANGUAGE_CODE):
        return BUILDERS[mail.kind](mail)
