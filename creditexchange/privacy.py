"""This app's personal data for the access log (``core.privacy``): applications, registrations, lists, answers."""

from core.privacy import admin_write


def _partner_list_file(request, response, match):
    return "creditexchange.partnerlistfile", [{"action": "download", "ids": [match.kwargs["file_id"]],
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
}

PORTAL_URLS = {
    "admin:creditexchange_partnerlist_file": _partner_list_file,
    "admin:creditexchange_courseregistration_register": admin_write("creditexchange.courseregistration", "add"),
    "admin:creditexchange_applicationconflict_resolve": admin_write("creditexchange.applicationconflict", "change"),
    "admin:creditexchange_applicationconflict_reopen": admin_write("creditexchange.applicationconflict", "change"),
}
