"""Change-of-affiliation services, one module per concern; import them from here."""

from .after_pass import application_cancel, application_confirm, application_reinstate
from .applications import (
    ALLOWED,
    UploadsRefused,
    application_save,
    application_submit,
    documents_checklist,
    eligibility_checklist,
    exception_grant,
    upload_check,
)
from .conditions import (
    RecordsNotRefreshed,
    conditions_alert_send,
    conditions_check,
    conditions_check_due,
    conditions_preview,
)
from .publication import (
    InputsChanged,
    PublicationPreview,
    publication_refused_alert,
    publication_state,
    results_publish,
    results_publish_due,
    results_publish_preview,
)
from .records import RECORD_COLUMNS, ImportReport, parse_semesters, records_import
from .records_undo import records_import_undo, records_import_undo_preview
from .scores import SCORE_COLUMNS, scores_import, scores_import_undo, scores_import_undo_preview
from .selection import (
    application_score_stage1,
    application_scores_check,
    application_scores_set,
    selection_run_stage1,
    selection_run_stage2,
)

__all__ = [
    "ALLOWED", "RECORD_COLUMNS", "SCORE_COLUMNS", "ImportReport", "UploadsRefused", "documents_checklist", "application_cancel",
    "application_confirm", "application_reinstate", "application_save", "RecordsNotRefreshed", "conditions_alert_send",
    "conditions_preview", "records_import_undo", "records_import_undo_preview", "application_score_stage1", "application_scores_check",
    "application_scores_set",
    "application_submit", "conditions_check", "conditions_check_due", "eligibility_checklist", "exception_grant",
    "parse_semesters", "records_import", "results_publish", "results_publish_due", "scores_import",
    "selection_run_stage1", "selection_run_stage2", "upload_check",
    "InputsChanged", "PublicationPreview", "publication_refused_alert", "publication_state", "results_publish_preview",
    "scores_import_undo", "scores_import_undo_preview",
]
