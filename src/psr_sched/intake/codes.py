"""X12 code tables both eligibility readers share: EB01 benefit codes, EB03 service types.

EB01: what a benefit is
-----------------------
:data:`EB01_CODES` gives every X12 005010X279A1 EB01 code (eligibility or benefit
information) its meaning and what the readers take from it.  The X12 reader
(:mod:`psr_sched.intake.x12`) looks the code up; the FHIR reader
(:mod:`psr_sched.intake.fhir`) looks up a benefit ``type`` that carries only text, as
clearinghouses relay 271 answers into FHIR (``"Co-Payment"``, ``"Out of Pocket (Stop
Loss)"``), by its name here (:func:`eb01_for_text`: case, spaces and punctuation ignored, a
trailing ``"(Incomplete information)"`` dropped; also ``"Copay"``, ``"Out of Pocket"`` and
``"Out of Pocket Maximum"``).

====  =====================================================  ==============================
EB01  Name (the text matched)                                Read as
====  =====================================================  ==============================
1     Active Coverage                                        coverage in force: ACTIVE
2     Active - Full Risk Capitation                          ACTIVE
3     Active - Services Capitated                            ACTIVE
4     Active - Services Capitated to Primary Care Physician  ACTIVE
5     Active - Pending Investigation                         ACTIVE
6     Inactive                                               coverage not in force: INACTIVE
7     Inactive - Pending Eligibility Update                  INACTIVE
8     Inactive - Pending Investigation                       INACTIVE
A     Co-Insurance                                           ``coinsurance``
B     Co-Payment                                             ``copay``
C     Deductible                                             ``deductible`` (and remaining)
G     Out of Pocket (Stop Loss)                              ``oop_max`` (and remaining)
====  =====================================================  ==============================

The other codes are known by name and not read; a result lists the ones its response used
in ``not_read``: CB Coverage Basis, D Benefit Description, E Exclusions, F Limitations,
H Unlimited, I Non-Covered, J Cost Containment, K Reserve, L Primary Care Provider,
M Pre-existing Condition, MC Managed Care Coordinator, N Services Restricted to Following
Provider, O Not Deemed a Medical Necessity, P Benefit Disclaimer, Q Second Surgical Opinion
Required, R Other or Additional Payor, S Prior Year(s) History, T Card(s) Reported
Lost/Stolen, U Contact Following Entity for Eligibility or Benefit Information, V Cannot
Process, W Other Source of Data, X Health Care Facility, Y Spend Down.

EB03: which service
-------------------
:data:`SERVICE_TYPE_NAMES` names the X12 service type codes an outpatient clinic meets;
:func:`service_type_for_name` maps a FHIR item named by its service instead of a category
coding (``"Professional (Physician) Visit - Office"`` is ``"98"``, ``"Health Benefit Plan
Coverage"`` ``"30"``), compared like EB01 names.  A name maps only when exactly one code
bears it.  BY (Physician Visit - Office: Sick) and BZ (Physician Visit - Office: Well) are
left out: :data:`~psr_sched.intake.eligibility.DEFAULT_SERVICE_TYPES` uses the two codes the
other way round, so a name would reach the wrong visit types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EB01_CODES",
    "SERVICE_TYPE_NAMES",
    "BenefitMeaning",
    "Eb01",
    "eb01_for_text",
    "service_type_for_name",
]

#: What a reader takes from a benefit: coverage status or one kind of cost sharing.
BenefitMeaning = Literal["active", "inactive", "coinsurance", "copay", "deductible", "oop"]


@dataclass(frozen=True, slots=True)
class Eb01:
    """One EB01 code: its X12 name and what the readers read from it (``None``: nothing)."""

    code: str
    name: str
    reads: BenefitMeaning | None = None


_EB01: tuple[Eb01, ...] = (
    Eb01("1", "Active Coverage", "active"),
    Eb01("2", "Active - Full Risk Capitation", "active"),
    Eb01("3", "Active - Services Capitated", "active"),
    Eb01("4", "Active - Services Capitated to Primary Care Physician", "active"),
    Eb01("5", "Active - Pending Investigation", "active"),
    Eb01("6", "Inactive", "inactive"),
    Eb01("7", "Inactive - Pending Eligibility Update", "inactive"),
    Eb01("8", "Inactive - Pending Investigation", "inactive"),
    Eb01("A", "Co-Insurance", "coinsurance"),
    Eb01("B", "Co-Payment", "copay"),
    Eb01("C", "Deductible", "deductible"),
    Eb01("G", "Out of Pocket (Stop Loss)", "oop"),
    Eb01("CB", "Coverage Basis"),
    Eb01("D", "Benefit Description"),
    Eb01("E", "Exclusions"),
    Eb01("F", "Limitations"),
    Eb01("H", "Unlimited"),
    Eb01("I", "Non-Covered"),
    Eb01("J", "Cost Containment"),
    Eb01("K", "Reserve"),
    Eb01("L", "Primary Care Provider"),
    Eb01("M", "Pre-existing Condition"),
    Eb01("MC", "Managed Care Coordinator"),
    Eb01("N", "Services Restricted to Following Provider"),
    Eb01("O", "Not Deemed a Medical Necessity"),
    Eb01("P", "Benefit Disclaimer"),
    Eb01("Q", "Second Surgical Opinion Required"),
    Eb01("R", "Other or Additional Payor"),
    Eb01("S", "Prior Year(s) History"),
    Eb01("T", "Card(s) Reported Lost/Stolen"),
    Eb01("U", "Contact Following Entity for Eligibility or Benefit Information"),
    Eb01("V", "Cannot Process"),
    Eb01("W", "Other Source of Data"),
    Eb01("X", "Health Care Facility"),
    Eb01("Y", "Spend Down"),
)

#: EB01 code → its name and what the readers read from it (the table of the module docstring).
EB01_CODES: Mapping[str, Eb01] = {entry.code: entry for entry in _EB01}

#: X12 service type code (EB03, FHIR benefit category) → its name.
SERVICE_TYPE_NAMES: Mapping[str, str] = {
    "1": "Medical Care",
    "2": "Surgical",
    "3": "Consultation",
    "4": "Diagnostic X-Ray",
    "5": "Diagnostic Lab",
    "6": "Radiation Therapy",
    "7": "Anesthesia",
    "12": "Durable Medical Equipment Purchase",
    "18": "Durable Medical Equipment Rental",
    "30": "Health Benefit Plan Coverage",
    "33": "Chiropractic",
    "35": "Dental Care",
    "42": "Home Health Care",
    "47": "Hospital",
    "48": "Hospital - Inpatient",
    "50": "Hospital - Outpatient",
    "51": "Hospital - Emergency Accident",
    "52": "Hospital - Emergency Medical",
    "53": "Hospital - Ambulatory Surgical",
    "62": "MRI/CAT Scan",
    "73": "Diagnostic Medical",
    "76": "Dialysis",
    "78": "Chemotherapy",
    "80": "Immunizations",
    "81": "Routine Physical",
    "86": "Emergency Services",
    "88": "Pharmacy",
    "93": "Podiatry",
    "98": "Professional (Physician) Visit - Office",
    "99": "Professional (Physician) Visit - Inpatient",
    "A0": "Professional (Physician) Visit - Outpatient",
    "A3": "Professional (Physician) Visit - Home",
    "A4": "Psychiatric",
    "A6": "Psychotherapy",
    "A7": "Psychiatric - Inpatient",
    "A8": "Psychiatric - Outpatient",
    "AD": "Occupational Therapy",
    "AE": "Physical Medicine",
    "AF": "Speech Therapy",
    "AL": "Vision (Optometry)",
    "BG": "Cardiac Rehabilitation",
    "DG": "Dermatology",
    "DM": "Durable Medical Equipment",
    "MH": "Mental Health",
    "PT": "Physical Therapy",
    "UC": "Urgent Care",
}

_NOT_LETTERS = re.compile(r"[^0-9a-z]+")
_INCOMPLETE = re.compile(r"\(\s*incomplete\s+information\s*\)\s*$", re.IGNORECASE)
_EB01_ALIASES = {"Copay": "B", "Out of Pocket": "G", "Out of Pocket Maximum": "G"}


def _key(text: str) -> str:
    """``text`` compared as the tables compare names: letters and digits, lower case."""
    return _NOT_LETTERS.sub("", _INCOMPLETE.sub("", text).casefold())


def _index(names: Mapping[str, str]) -> dict[str, str]:
    """Name key → code, for the names exactly one code bears."""
    codes: dict[str, set[str]] = {}
    for code, name in names.items():
        codes.setdefault(_key(name), set()).add(code)
    return {key: found.pop() for key, found in codes.items() if len(found) == 1}


_EB01_BY_NAME = _index({entry.code: entry.name for entry in _EB01}) | {
    _key(alias): code for alias, code in _EB01_ALIASES.items()
}
_SERVICE_TYPE_BY_NAME = _index(SERVICE_TYPE_NAMES)


def eb01_for_text(text: str | None) -> Eb01 | None:
    """The EB01 code a benefit type's text names, or ``None`` when no entry bears the name.

    Examples
    --------
    >>> eb01_for_text("Out of Pocket (Stop Loss)").code
    'G'
    >>> eb01_for_text("Co-Payment (Incomplete information)").reads
    'copay'
    >>> eb01_for_text("Visits") is None
    True
    """
    if not text:
        return None
    code = _EB01_BY_NAME.get(_key(text))
    return None if code is None else EB01_CODES[code]


def service_type_for_name(name: str | None) -> str | None:
    """The X12 service type code a service name names, or ``None`` when none (or several) do.

    Examples
    --------
    >>> service_type_for_name("Professional (Physician) Visit - Office")
    '98'
    >>> service_type_for_name("health benefit plan coverage")
    '30'
    >>> service_type_for_name("Office Visit") is None
    True
    """
    if not name:
        return None
    return _SERVICE_TYPE_BY_NAME.get(_key(name))
