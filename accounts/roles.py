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
    ],
    "affiliation_committee": [
        "academics.view_campus", "academics.view_college", "academics.view_department",
        "academics.view_term", "academics.view_termwindow", "accounts.view_user",
    ],
    "notice_editor": [],
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
