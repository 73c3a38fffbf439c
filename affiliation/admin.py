"""The committee's tools: records and imports, rounds and quotas, exceptions, scores, selection, after the pass.

Actions and custom views only call services; states are read-only here. The model admins live in
``admin_records``, ``admin_rounds`` and ``admin_applications`` (their pages in ``admin_conditions`` and
``admin_publication``); this module registers them.
"""

from django.contrib import admin

from .admin_applications import AffiliationApplicationAdmin, ApplicationEventAdmin
from .admin_records import SemesterRecordAdmin, StudentRecordAdmin
from .admin_rounds import AffiliationRoundAdmin, DepartmentQuotaAdmin, EligibilityExceptionAdmin, SimilarMajorAdmin
from .models import (
    AffiliationApplication,
    AffiliationRound,
    ApplicationEvent,
    DepartmentQuota,
    EligibilityException,
    SemesterRecord,
    SimilarMajor,
    StudentRecord,
)

admin.site.register(StudentRecord, StudentRecordAdmin)
admin.site.register(SemesterRecord, SemesterRecordAdmin)
admin.site.register(AffiliationRound, AffiliationRoundAdmin)
admin.site.register(DepartmentQuota, DepartmentQuotaAdmin)
admin.site.register(SimilarMajor, SimilarMajorAdmin)
admin.site.register(EligibilityException, EligibilityExceptionAdmin)
admin.site.register(AffiliationApplication, AffiliationApplicationAdmin)
admin.site.register(ApplicationEvent, ApplicationEventAdmin)
