"""Stored files, whichever storage holds them (the local disk or an S3-compatible object store, settings.STORAGES).

The download views stream a file through the view that checked the reader's permission: no public or pre-signed
bucket URL is handed out, so a link forwarded to someone else opens nothing. A file that the row names but the
storage lacks (removed by hand, a restore without its files) is a 404 for the reader, never a 500 — and the same
on every backend: the disk raises ``FileNotFoundError``, boto3 a ``ClientError`` with a 404 code, so both are asked
the same question first.
"""

import logging

from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)


def stored_open(stored: FieldFile):
    """The stored file opened for reading, or None when there is none (empty field, or missing from the storage)."""
    if not stored:
        return None
    try:
        if not stored.storage.exists(stored.name):
            logger.warning("Stored file %s is named by a row but missing from the storage.", stored.name)
            return None
        return stored.storage.open(stored.name, "rb")
    except FileNotFoundError:  # removed between the two calls
        return None


def stored_size(stored: FieldFile) -> int | None:
    """The stored file's size in bytes, or None when it is missing or the storage cannot say right now."""
    if not stored:
        return None
    try:
        return stored.size
    except Exception:  # OSError on the disk; botocore's ClientError / EndpointConnectionError on an object store
        logger.warning("Could not read the size of stored file %s.", stored.name, exc_info=True)
        return None
