"""The permissions this app gives the staff roles (``accounts.roles``), registered by ``AffiliationConfig.ready()``."""

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "affiliation_committee": [
        "affiliation.view_studentrecord", "affiliation.add_studentrecord", "affiliation.change_studentrecord",
        "affiliation.view_semesterrecord", "affiliation.add_semesterrecord", "affiliation.change_semesterrecord",
        "affiliation.delete_semesterrecord",
        "affiliation.view_affiliationround", "affiliation.add_affiliationround", "affiliation.change_affiliationround",
        "affiliation.run_selection", "affiliation.publish_results", "affiliation.check_conditions",
        "affiliation.view_departmentquota", "affiliation.add_departmentquota", "affiliation.change_departmentquota",
        "affiliation.delete_departmentquota",
        "affiliation.view_similarmajor", "affiliation.add_similarmajor", "affiliation.change_similarmajor",
        "affiliation.delete_similarmajor",
        "affiliation.view_eligibilityexception", "affiliation.add_eligibilityexception",
        "affiliation.change_eligibilityexception", "affiliation.delete_eligibilityexception",
        "affiliation.grant_eligibilityexception",
        "affiliation.view_affiliationapplication", "affiliation.change_affiliationapplication",
        "affiliation.confirm_affiliationapplication", "affiliation.view_applicationevent",
    ],
}
