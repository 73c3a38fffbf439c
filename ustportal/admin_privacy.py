"""Admin of the personal-data access log: read-only for everyone (superusers too), filterable, exportable as CSV.

Shown to superusers and the ``privacy_officer`` role (``ustportal.view_personaldataaccess``). An export
is itself an access to personal data (user names, student numbers, addresses) and is logged.
"""

import csv
import io

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditexchange.exports import escape_cell
from ustportal import dates

from .admin import ReadOnlyAdminMixin
from .models import PersonalDataAccess
from .privacy import access_record

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
        access_record(request=request, action=PersonalDataAccess.Action.EXPORT, model="ustportal.personaldataaccess",
                      ids=ids, reference="CSV")
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="access-log-{timezone.localdate():%Y%m%d}.csv"'
        response.access_logged = True  # recorded above, with the ids; the middleware need not guess them
        return response
