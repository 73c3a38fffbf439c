"""Stored files, whichever storage holds them (the local disk or an S3-compatible object store, settings.STORAGES).

The download views stream a file through the view that checked the reader's permission: no public or pre-signed
bucket URL is handed out, so a link forwarded to someone else opens nothing. A file that the row names but the
storage lacks (removed by hand, a restore without its files) is a 404 for the reader, never a 500 — and the same
on every backend: the disk raises ``FileNotFoundError``, boto3 a ``ClientError`` with a 404 code, so both are asked
the same question first.

A storage that cannot answer (the object store down, hung past its timeouts, refusing the portal's credentials; a
disk that fails) is ``FileStoreUnavailable``: a download answers a 503 "try again" page (``unavailable_response``),
an upload keeps the student's other entries and asks for the file again. Never a 500, never a request held for
minutes (the S3 client's timeouts and attempts are bounded in settings). A web process runs one request at a time
(core/admission.py), so after the store could not be reached this process leaves it alone for ``PAUSE_SECONDS``
(as core/broker.py does the broker): the next downloads answer the 503 at once, the next forms show no sizes,
instead of each holding the process for the client's timeouts.
"""

import logging
import time
from contextlib import contextmanager

from django.db.models.fields.files import FieldFile
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

logger = logging.getLogger(__name__)

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - botocore comes with django-storages' S3 backend (requirements.txt)
    STORE_ERRORS: tuple[type[Exception], ...] = (OSError,)
    UNREACHABLE: tuple[type[Exception], ...] = ()
else:
    STORE_ERRORS = (OSError, BotoCoreError, ClientError)
    UNREACHABLE = (BotoCoreError,)  # no answer (connection refused, timed out, cut); a ClientError is an answer

RETRY_AFTER_SECONDS = 60
PAUSE_SECONDS = 10.0
# Per process: whether this process reaches the object store is its own (its host's network). For at most
# PAUSE_SECONDS it answers "try again" without asking the store; no file is lost (an upload keeps the draft and asks
# for the file again) and another node that reaches the store serves the same file meanwhile.
_paused_until = 0.0


def _store_failed(exc: Exception) -> None:
    global _paused_until
    if isinstance(exc, UNREACHABLE):
        _paused_until = time.monotonic() + PAUSE_SECONDS


def file_store_paused() -> bool:
    """True for PAUSE_SECONDS after this process could not reach the object store."""
    return time.monotonic() < _paused_until


def file_store_resume() -> None:
    """Forget an earlier failure (tests; a process that knows the store is back)."""
    global _paused_until
    _paused_until = 0.0


class FileStoreUnavailable(DomainError):
    def __init__(self, message=None):
        super().__init__(message or _("Stored files cannot be reached right now. Please try again in a few minutes."),
                         code="file_store")


@contextmanager
def file_store_errors():
    """Turn a storage that cannot answer into ``FileStoreUnavailable``; a missing file stays ``FileNotFoundError``.
    While paused after a failure (``file_store_paused``), the storage is not asked at all."""
    if file_store_paused():
        raise FileStoreUnavailable()
    try:
        yield
    except FileNotFoundError:
        raise
    except STORE_ERRORS as exc:
        _store_failed(exc)
        logger.warning("File storage unavailable: %s", exc, exc_info=True)
        raise FileStoreUnavailable() from exc


def stored_open(stored: FieldFile):
    """The stored file opened for reading, or None when there is none (empty field, or missing from the storage).

    Raises ``FileStoreUnavailable`` when the storage cannot answer. The content is fetched here, not later while the
    response streams (S3File downloads on first use, and FileResponse asks its size at once), so a store that fails
    fails inside the view's reach."""
    if not stored:
        return None
    with file_store_errors():
        try:
            if not stored.storage.exists(stored.name):
                logger.warning("Stored file %s is named by a row but missing from the storage.", stored.name)
                return None
            handle = stored.storage.open(stored.name, "rb")
            handle.seek(0)  # S3File: the object is downloaded now (spooled to a temporary file past max_memory_size)
            return handle
        except FileNotFoundError:  # removed between the two calls
            return None


def stored_size(stored: FieldFile) -> int | None:
    """The stored file's size in bytes, or None when it is missing or the storage cannot say right now."""
    if not stored or file_store_paused():
        return None
    try:
        return stored.size
    except STORE_ERRORS as exc:  # OSError on the disk; botocore's ClientError / EndpointConnectionError on a store
        _store_failed(exc)
        logger.warning("Could not read the size of stored file %s.", stored.name, exc_info=True)
        return None


def unavailable_response(request, exc: FileStoreUnavailable):
    """The 503 page for a download whose storage cannot answer: the reason, and when to try again."""
    response = render(request, "core/file_store_unavailable.html", {"message": exc.message}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
