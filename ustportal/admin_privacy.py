"""Admin of the personal-data access log: read-only for everyone (superusers too), filterable, exportable as CSV.

Shown to superusers and the ``privacy_officer`` role (``core.view_personaldataaccess``). An export
is itself an access to personal data (user names, student numbers, addresses) and is logged.

The same readers get the retention preview (``retention/``, linked from the log's list): what the nightly
purge destroys next and within ``PREVIEW_DAYS`` (``ustportal.retention_preview``), and its past runs.
"""

import csv
import io

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from core import dates
from core.admin import ReadOnlyAdminMixin
from core.models import BulkAction, PersonalDataAccess
from core.privacy import access_record
from creditexchange.exports import escape_cell

from .retention import PURGE_KIND
from .retention_preview import PREVIEW_DAYS, retention_preview

CSV_COLUMNS = ["at", "actor_name", "address", "action", "model", "object_ids", "count", "reference", "path"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "who", "action", "subject", "rows", "reference"]
    list_filter = ["action", "model", "at", "actor_name"]
    search_fields = ["actor_name", "reference", "address"]
    date_hierarchy = "at"
    readonly_fields = [*CSV_COLUMNS, "actor"]
    fields = ["at", "actor", "actor_name", "address", "action", "model", "object_ids", "count", "reference", "path"]
    list_per_page = 100
    actions = ["export_csv"]
    change_list_template = "admin/core/personaldataaccess/change_list.html"

    def get_urls(self):
        extra = [path("retention/", self.admin_site.admin_view(self.retention_view), name="ustportal_retention_preview")]
        return extra + super().get_urls()

    def retention_view(self, request):
        """What the nightly purge destroys next and within PREVIEW_DAYS; it cannot be undone (PIPA art. 21)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Retention: what will be destroyed"),
            "horizons": retention_preview(), "days": PREVIEW_DAYS, "years": settings.PERSONAL_DATA_RETENTION_YEARS,
            "log_years": settings.ACCESS_LOG_RETENTION_YEARS,
            "purges": BulkAction.objects.filter(kind=PURGE_KIND).order_by("-at")[:10],
        }
        return TemplateResponse(request, "admin/ustportal/retention_preview.html", context)

    @admin.display(description=_("data"), ordering="model")
    def subject(self, obj: PersonalDataAccess) -> str:
        """The model's name in the reader's language (the label stays in the filter, the detail and the CSV)."""
        try:
            return str(apps.get_model(obj.model)._meta.verbose_name_plural)
        except (LookupError, ValueError):
            return obj.model

    @admin.display(description=_("actor"), ordering="actor_name")
    def who(self, obj: PersonalDataAccess) -> str:
        return f"{obj.actor_name or '—'} · {obj.address}" if obj.address else (obj.actor_name or "—")

    @admin.display(description=_("object ids"))
    def rows(self, obj: PersonalDataAccess) -> str:
        ids = ", ".join(str(i) for i in obj.object_ids[:5]) + (" …" if len(obj.object_ids) > 5 else "")
        return f"{ids} ({obj.count})" if obj.count != 1 or len(obj.object_ids) != 1 else ids


    @admin.action(description=_("Export selected entries as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        ids = []
        for entry in queryset.order_by("at", "pk").iterator():
            ids.append(entry.pk)
            row = [dates.when(entry.at, seconds=True), *(getattr(entry, c) for c in CSV_COLUMNS[1:])]
            row[5] = " ".join(str(i) for i in entry.object_ids)
            writer.writerow([escape_cell(value) for value in row])
        access_record(request=request, action=PersonalDataAccess.Action.EXPORT, model="core.personaldataaccess",
                      ids=ids, reference="CSV")
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="access-log-{dates.today():%Y%m%d}.csv"'
        response.access_logged = True  # recorded above, with the ids; the middleware need not guess them
        return response
