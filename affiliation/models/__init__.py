"""Change of affiliation from the branch campus to the main campus (SPEC §4, seed 003).

The models live in ``records`` (a student's academic record), ``rounds`` (a round, its quotas and similar
majors) and ``applications`` (applications, their events, eligibility exceptions); every name is importable
from ``affiliation.models`` as before, which the migrations rely on (``upload_path``).
"""

from .applications import AffiliationApplication, ApplicationEvent, EligibilityException, Rule, upload_path
from .records import SemesterRecord, StudentRecord
from .rounds import AffiliationRound, ConditionsAlert, DepartmentQuota, SimilarMajor, Stage

__all__ = [
    "AffiliationApplication", "AffiliationRound", "ApplicationEvent", "ConditionsAlert", "DepartmentQuota",
    "EligibilityException", "Rule", "SemesterRecord", "SimilarMajor", "Stage", "StudentRecord", "upload_path",
]
