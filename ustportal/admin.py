"""The project's own admin pages: the PIPA access log and the retention preview (they know every app)."""

from . import admin_privacy  # noqa: F401
