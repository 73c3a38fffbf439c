"""This app's personal data for the access log (``core.privacy``): applications, registrations, lists, answers."""

from core.models import PersonalDataAccess
from core.privacy import admin_write

Action = PersonalDataAccess.Action


def _partner_list_file(request, response, match):
    return "creditexchange.partnerlistfile", [{"action": Action.DOWNLOAD, "ids": [match.kwargs["file_id"]],
                                               "reference": f"list #{match.kwargs['list_id']}"}]


PERSONAL_DATA_MODELS = {
    "creditexchange.temporaryidapplication": lambda o: f"{o.partner_id}:{o.home_student_number}",
    "creditexchange.applicationevent": None,
    "creditexchange.applicationconflict": lambda o: f"{o.partner_id}:{o.number_key}",
    "creditexchange.applicationconflictevent": None,
    "creditexchange.courseregistration": None,
    "creditexchange.registrationevent": None,
    "creditexchange.partnerlist": None,
    "creditexchange.partnerlistfile": None,
    "creditexchange.recommendation": None,
    "creditexchange.recommendationevent": None,
    "creditexchange.basketitem": None,
    "creditexchange.waitlistentry": None,
    "creditexchange.waitlistevent": None,
    "creditexchange.grade": None,
    "creditexchange.gradeevent": None,
    "creditexchange.transcriptbatch": None,
    "creditexchange.transcriptbatchfile": None,
    "creditexchange.transcript": None,
}

PORTAL_URLS = {
    "admin:creditexchange_partnerlist_file": _partner_list_file,
    "admin:creditexchange_courseregistration_register": admin_write("creditexchange.courseregistration", Action.ADD),
    "admin:creditexchange_applicationconflict_resolve": admin_write("creditexchange.applicationconflict", Action.CHANGE),
    "admin:creditexchange_applicationconflict_reopen": admin_write("creditexchange.applicationconflict", Action.CHANGE),
}
