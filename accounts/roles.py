"""Staff roles are Django groups with model permissions (SPEC §1), kept in code and synced on migrate."""

from django.contrib.auth.models import Group, Permission

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "registrar": [
        "academics.view_institution", "academics.add_institution", "academics.change_institution",
        "academics.view_institutioncontact", "academics.add_institutioncontact",
        "academics.change_institutioncontact", "academics.delete_institutioncontact",
        "academics.view_campus", "academics.view_college", "academics.view_department",
        "academics.view_term", "academics.add_term", "academics.change_term",
        "academics.view_termwindow", "academics.add_termwindow", "academics.change_termwindow",
        "accounts.view_user", "accounts.view_temporarystudentid", "accounts.view_idsequence",
        "creditexchange.view_temporaryidapplication", "creditexchange.change_temporaryidapplication",
        "creditexchange.approve_temporaryidapplication", "creditexchange.issue_temporaryidapplication",
        "creditexchange.view_applicationevent",
        "creditexchange.view_courseoffering", "creditexchange.add_courseoffering",
        "creditexchange.change_courseoffering", "creditexchange.publish_courseoffering",
        "creditexchange.view_timeslot", "creditexchange.add_timeslot", "creditexchange.change_timeslot",
        "creditexchange.delete_timeslot", "creditexchange.view_courseregistration",
        "creditexchange.change_courseregistration", "creditexchange.view_registrationevent",
        "ustportal.view_outgoingmail", "ustportal.resend_outgoingmail",
        "creditexchange.view_partnerlist", "creditexchange.send_partnerlist", "creditexchange.view_partnerlistfile",
        "creditexchange.view_recommendation", "creditexchange.record_recommendation",
        "creditexchange.view_recommendationevent",
        "staffdesk.view_staffjob",
    ],
    "affiliation_committee": [
        "academics.view_campus", "academics.view_college", "academics.view_department",
        "academics.view_term", "academics.view_termwindow", "accounts.view_user",
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
        "staffdesk.view_staffjob",
    ],
    "notice_editor": [
        "notices.view_notice", "notices.add_notice", "notices.change_notice", "notices.delete_notice",
        "notices.view_noticeattachment", "notices.add_noticeattachment", "notices.change_noticeattachment",
        "notices.delete_noticeattachment",
    ],
    # PIPA: reads (and exports) the personal-data access log; nothing else.
    "privacy_officer": ["ustportal.view_personaldataaccess"],
}


def ensure_roles(sender=None, **kwargs) -> None:
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.add(*wanted)
