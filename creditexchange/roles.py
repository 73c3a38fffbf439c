"""The permissions this app gives the staff roles (``accounts.roles``), registered by ``CreditExchangeConfig.ready()``."""

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "registrar": [
        "creditexchange.view_temporaryidapplication", "creditexchange.change_temporaryidapplication",
        "creditexchange.approve_temporaryidapplication", "creditexchange.issue_temporaryidapplication",
        "creditexchange.view_applicationevent",
        "creditexchange.view_applicationconflict", "creditexchange.resolve_applicationconflict",
        "creditexchange.view_applicationconflictevent",
        "creditexchange.view_courseoffering", "creditexchange.add_courseoffering",
        "creditexchange.change_courseoffering", "creditexchange.publish_courseoffering",
        "creditexchange.view_timeslot", "creditexchange.add_timeslot", "creditexchange.change_timeslot",
        "creditexchange.delete_timeslot", "creditexchange.view_courseregistration",
        "creditexchange.change_courseregistration", "creditexchange.view_registrationevent",
        "creditexchange.view_partnerlist", "creditexchange.send_partnerlist", "creditexchange.view_partnerlistfile",
        "creditexchange.view_recommendation", "creditexchange.record_recommendation",
        "creditexchange.view_recommendationevent",
        "creditexchange.view_basketitem", "creditexchange.view_waitlistentry", "creditexchange.change_waitlistentry",
        "creditexchange.view_waitlistevent", "creditexchange.view_waitlistrelease",
        # Issue 15: grades (entered and imported by the registrar; the lock by the same office) and transcripts.
        "creditexchange.view_grade", "creditexchange.add_grade", "creditexchange.change_grade",
        "creditexchange.view_gradeevent", "creditexchange.finalize_grades", "creditexchange.view_termgrades",
        "creditexchange.view_termgradesevent", "creditexchange.view_transcriptbatch",
        "creditexchange.issue_transcripts", "creditexchange.view_transcriptbatchfile", "creditexchange.view_transcript",
    ],
}
