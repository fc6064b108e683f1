"""Patient intake: registration records, completeness tasks, payer eligibility (X12, FHIR).

Protected health information (names, birth dates, addresses, phone numbers, e-mail, member
ids) lives only in :class:`PHI` fields of a :class:`Patient`; reprs, default dumps, log
lines and error messages never show it.
"""

from psr_sched.intake.completeness import (
    DEFAULT_CHECK_IN_POLICY,
    CheckInPolicy,
    IntakeTask,
    IntakeTaskCode,
    extra_check_in_minutes,
    intake_tasks,
)
from psr_sched.intake.eligibility import (
    DEFAULT_SERVICE_TYPES,
    PLAN_SERVICE_TYPE,
    Benefit,
    CoveragePeriod,
    EligibilityResult,
    EligibilityStatus,
    PriorAuth,
    Rejection,
    service_type_for_visit_type,
)
from psr_sched.intake.fhir import eligibility_from_fhir, read_fhir_eligibility
from psr_sched.intake.patients import Address, Consents, Coverage, Patient, load_patients
from psr_sched.intake.phi import PHI, REVEAL_PHI
from psr_sched.intake.x12 import eligibility_from_271, read_271

__all__ = [
    "DEFAULT_CHECK_IN_POLICY",
    "DEFAULT_SERVICE_TYPES",
    "PHI",
    "PLAN_SERVICE_TYPE",
    "REVEAL_PHI",
    "Address",
    "Benefit",
    "CheckInPolicy",
    "Consents",
    "Coverage",
    "CoveragePeriod",
    "EligibilityResult",
    "EligibilityStatus",
    "IntakeTask",
    "IntakeTaskCode",
    "Patient",
    "PriorAuth",
    "Rejection",
    "eligibility_from_271",
    "eligibility_from_fhir",
    "extra_check_in_minutes",
    "intake_tasks",
    "load_patients",
    "read_271",
    "read_fhir_eligibility",
    "service_type_for_visit_type",
]
