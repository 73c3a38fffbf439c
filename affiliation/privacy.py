"""This app's personal data for the access log (``core.privacy``): records, applications and their documents."""

from core.models import PersonalDataAccess
from core.privacy import admin_write

Action = PersonalDataAccess.Action


def _application_file(request, response, match):
    return "affiliation.affiliationapplication", [{"action": Action.DOWNLOAD, "ids": [match.kwargs["application_id"]],
                                                   "reference": str(match.kwargs["kind"])[:40]}]


PERSONAL_DATA_MODELS = {
    "affiliation.studentrecord": lambda o: o.student_number,
    "affiliation.semesterrecord": None,
    "affiliation.eligibilityexception": None,
    "affiliation.affiliationapplication": None,
    "affiliation.applicationevent": None,
}

PORTAL_URLS = {
    "affiliation:application_file": _application_file,
    "admin:affiliation_studentrecord_import": admin_write("affiliation.studentrecord", Action.ADD),
    "admin:affiliation_affiliationapplication_import_scores": admin_write("affiliation.affiliationapplication", Action.CHANGE),
}
