"""Notice board rules: hit counting, publishing, pinning and attachments (SPEC §3.4)."""

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.files import file_store_errors

from .models import Notice, NoticeAttachment

logger = logging.getLogger(__name__)

# A visitor counts once per notice in this many seconds (a reload or a back button does not count).
HIT_DEDUPE_SECONDS = 30 * 60
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024

# Allowed attachments: extension → (content type served, accepted leading bytes). The content decides,
# not the name alone: an HTML or SVG page renamed to .pdf is refused.
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # HWP 5, DOC, XLS, PPT
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "hwp": ("application/x-hwp", _OLE),
    "hwpx": ("application/hwp+zip", _ZIP),
    "doc": ("application/msword", _OLE),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xls": ("application/vnd.ms-excel", _OLE),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "ppt": ("application/vnd.ms-powerpoint", _OLE),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "zip": ("application/zip", _ZIP),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


def _hit_key(notice_id: int, visitor: str) -> str:
    return f"notice-hit:v1:{notice_id}:{visitor}"


def _first_visit(key: str) -> bool:
    """True when this visitor has not been counted recently; claims the slot atomically (SET NX)."""
    timeout = getattr(settings, "NOTICE_HIT_DEDUPE_SECONDS", HIT_DEDUPE_SECONDS)
    try:
        return cache.add(key, 1, timeout)
    except Exception:  # redis-py raises several connection/timeout types
        # A hit count is informational: while the cache is down every visit counts rather than none.
        logger.warning("Cache unreachable; counting notice hit %s without de-duplication.", key, exc_info=True)
        return True


def notice_hit(*, notice_id: int, visitor: str, at: datetime | None = None) -> bool:
    """Count one visit of a published notice, once per visitor per HIT_DEDUPE_SECONDS; True if counted.

    The increment is one UPDATE … SET hit_count = hit_count + 1 in the database, so concurrent visits
    by different visitors are never lost, whatever the number of web processes.
    """
    at = at or timezone.now()
    if not _first_visit(_hit_key(notice_id, visitor)):
        return False
    updated = Notice.objects.filter(pk=notice_id, published_at__lte=at).update(hit_count=F("hit_count") + 1)
    return updated == 1


def notice_publish(*, notice_ids: list[int], at: datetime | None = None) -> int:
    """Publish drafts now; notices already published or scheduled keep their date. Returns how many changed."""
    return Notice.objects.filter(pk__in=notice_ids, published_at__isnull=True).update(
        published_at=at or timezone.now(), updated_at=timezone.now()
    )


def notice_unpublish(*, notice_ids: list[int]) -> int:
    """Turn notices back into drafts (hidden from the board; the hit count is kept)."""
    return Notice.objects.filter(pk__in=notice_ids, published_at__isnull=False).update(
        published_at=None, updated_at=timezone.now()
    )


def notice_pin(*, notice_ids: list[int], pinned: bool) -> int:
    return Notice.objects.filter(pk__in=notice_ids).exclude(pinned=pinned).update(
        pinned=pinned, updated_at=timezone.now()
    )


def attachment_check(*, upload: UploadedFile) -> tuple[str, str]:
    """(extension, content type) of an acceptable upload; refuses a wrong size, type or disguised name."""
    limit = getattr(settings, "NOTICE_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES)
    if upload.size > limit:
        raise DomainError(
            _("%(name)s is %(size)s KB; attachments may be at most %(limit)s KB.")
            % {"name": upload.name, "size": upload.size // 1024, "limit": limit // 1024},
            code="upload",
        )
    if upload.size == 0:
        raise DomainError(_("%(name)s is empty.") % {"name": upload.name}, code="upload")
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in ATTACHMENT_TYPES:
        raise DomainError(
            _("%(name)s: only these file types can be attached: %(types)s.")
            % {"name": upload.name, "types": ", ".join(sorted(ATTACHMENT_TYPES))},
            code="upload",
        )
    content_type, signatures = ATTACHMENT_TYPES[extension]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in signatures):
        raise DomainError(
            _("%(name)s does not contain what its name says (%(extension)s); its content was checked.")
            % {"name": upload.name, "extension": extension.upper()},
            code="upload",
        )
    return extension, content_type


def notice_attachment_add(*, notice: Notice, upload: UploadedFile) -> NoticeAttachment:
    """Store an upload under a server-chosen name and keep its original name, size and type."""
    _extension, content_type = attachment_check(upload=upload)
    original = upload.name.replace("\\", "/").rsplit("/", 1)[-1][:200]
    attachment = NoticeAttachment(notice=notice, original_name=original, size=upload.size, content_type=content_type)
    with file_store_errors():  # the object store down: FileStoreUnavailable, nothing written
        attachment.file.save(original, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the row cannot be written
        raise
    return attachment


def notice_attachment_remove(*, attachment: NoticeAttachment) -> None:
    name, storage = attachment.file.name, attachment.file.storage
    attachment.delete()
    # The file goes only once the row is gone for good; one the storage cannot remove now (an object store down a
    # moment) is logged and left behind, not a 500 for a removal already committed.
    transaction.on_commit(lambda: storage.delete(name), robust=True)


def notice_delete(*, notice: Notice) -> None:
    for attachment in list(notice.attachments.all()):
        notice_attachment_remove(attachment=attachment)
    notice.delete()
