"""Admin addresses from before the kernel (issue 13): bookmarks and old links keep working.

The mail outbox, the staff action log, the PIPA access log (with its retention preview) and the staff jobs moved
to the ``core`` app, so their admin moved from /admin/ustportal/… and /admin/staffdesk/… to /admin/core/…. Only
those models' pages are redirected; anything else under the old prefixes stays the admin's own answer. Mounted
on the admin's prefix, before the admin: ``path("admin/", include("ustportal.urls_legacy"))``.
"""

from django.urls import re_path

from . import views

MOVED_TO_CORE = {
    "ustportal": ("outgoingmail", "bulkaction", "personaldataaccess"),
    "staffdesk": ("staffjob",),
}

urlpatterns = [
    re_path(rf"^(?P<app_label>{app_label})/(?P<model>{'|'.join(models)})/(?P<rest>.*)$", views.admin_moved)
    for app_label, models in MOVED_TO_CORE.items()
]
