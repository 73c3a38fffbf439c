"""Credit-exchange services, one module per entity; import them from here."""

from .applications import (
    CONFIRM_SALT,
    CORRECTABLE_FIELDS,
    LookupResult,
    application_approve,
    application_correct,
    application_lookup,
    application_reject,
    application_submit,
    applications_purge_unconfirmed,
    confirmation_token,
)
from .confirmation import (
    application_confirm,
    application_confirm_check,
    application_expired_link_resendable,
    application_resend_confirmation,
)
from .conflict_resolution import (
    StaleConflict,
    application_conflict_check_members,
    application_conflict_reopen,
    application_conflict_resolve,
)
from .conflicts import application_conflict_open_for
from .issuance import (
    AccountDeactivated,
    ApplicationInConflict,
    BatchReport,
    temporary_id_issue,
    temporary_id_issue_batch,
    temporary_id_reactivate_and_issue,
)
from .issuance_bulk import (
    IssuePreview,
    temporary_id_revoke,
    temporary_ids_issue_check,
    temporary_ids_issue_preview,
)
from .offering_change import (
    OfferingChangePreview,
    OfferingChangeUnconfirmed,
    offering_change_preview,
    timetable_breaks,
)
from .offerings import (
    ImportReport,
    offering_capacity_check,
    offering_save,
    offerings_publish,
    offerings_unpublish,
)
from .offerings_file import offerings_import, offerings_import_undo
from .partner_list_preview import ListPreview, partner_list_preview
from .partner_lists import (
    SendReport,
    partner_list_deadline,
    partner_list_send,
    partner_lists_send,
    partner_lists_send_due,
)
from .recommendations import (
    PartnerListLink,
    partner_list_contacts,
    partner_list_link,
    partner_list_open,
    partner_list_token,
    recommendation_record,
    recommendations_submit,
)
from .registrations import (
    DropWindow,
    drop_window,
    registration_drop,
    registration_submit,
    student_can_register,
)

__all__ = [
    "CONFIRM_SALT", "CORRECTABLE_FIELDS", "BatchReport", "ImportReport", "LookupResult",
    "application_approve", "application_confirm", "application_confirm_check", "application_expired_link_resendable", "application_correct", "application_lookup", "application_reject",
    "application_resend_confirmation", "application_submit", "applications_purge_unconfirmed", "confirmation_token",
    "offering_capacity_check", "offering_save", "offerings_import", "offerings_publish", "offerings_unpublish", "registration_drop", "registration_submit",
    "DropWindow", "drop_window", "student_can_register", "temporary_id_issue", "temporary_id_issue_batch",
    "PartnerListLink", "SendReport", "partner_list_contacts", "partner_list_link", "partner_list_deadline", "partner_list_open",
    "partner_list_send", "partner_list_token", "partner_lists_send", "partner_lists_send_due", "recommendation_record",
    "recommendations_submit",
    "ApplicationInConflict", "StaleConflict", "application_conflict_check_members", "application_conflict_open_for", "application_conflict_reopen",
    "application_conflict_resolve",
    "OfferingChangePreview", "OfferingChangeUnconfirmed", "offering_change_preview", "timetable_breaks",
    "offerings_import_undo", "AccountDeactivated", "temporary_id_reactivate_and_issue",
    "ListPreview", "partner_list_preview", "IssuePreview", "temporary_id_revoke", "temporary_ids_issue_check", "temporary_ids_issue_preview",
]
