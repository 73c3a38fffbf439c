"""Admin of the personal-data access log: read-only for everyone (superusers too), filterable, exportable as CSV.

Shown to superusers and the ``privacy_officer`` role (``ustportal.view_personaldataaccess``). An export
is itself an access to personal data (user names, student numbers, addresses) and is logged.
"""

import csv
import io

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditexchange.exports import escape_cell

from .models import PersonalDataAccess
from .privacy import access_record

CSV_COLUMNS = ["at", "actor_name", "address", "action", "model", "object_ids", "count", "reference", "path"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "address", "action", "model", "short_ids", "count", "reference", "path"]
    list_filter = ["action", "model", "at", "actor_name"]
    search_fields = ["actor_name", "reference", "address"]
    date_hierarchy = "at"
    readonly_fields = [*CSV_COLUMNS, "actor"]
    fields = ["at", "actor", "actor_name", "address", "action", "model", "object_ids", "count", "reference", "path"]
    list_per_page = 100
    actions = ["export_csv"]

    @admin.display(description=_("object ids"))
    def short_ids(self, obj: PersonalDataAccess) -> str:
        ids = ", ".join(str(i) for i in obj.object_ids[:10])
        return ids + (" …" if len(obj.object_ids) > 10 else "")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Export selected entries as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        ids = []
        for entry in queryset.order_by("at", "pk").iterator():
            ids.append(entry.pk)
            row = [timezone.localtime(entry.at).isoformat(), *(getattr(entry, c) for c in CSV_COLUMNS[1:])]
            row[5] = " ".join(str(i) for i in entry.object_ids)
            writer.writerow([escape_cell(value) for value in row])
        access_record(request=request, action=PersonalDataAccess.Action.EXPORT, model="ustportal.personaldataaccess",
                      ids=ids, reference="CSV")
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="access-log-{timezone.localdate():%Y%m%d}.csv"'
        response.access_logged = True  # recorded above, with the ids; the middleware need not guess them
        return response
