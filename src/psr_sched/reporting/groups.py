"""Groups the reports compare: payer class, age band and language, never the values behind them.

Payer class
    The payer network of a request (:attr:`AppointmentRequest.payer
    <psr_sched.domain.AppointmentRequest>`) mapped to one of :data:`PAYER_CLASSES`: no payer
    is ``"self-pay"``; other payers are looked up, case-insensitively, in the caller's mapping
    and then in :data:`DEFAULT_PAYER_CLASSES`; a payer in neither is ``"other"``.
Age band
    Completed years of age on a reference date, in the bands of :data:`AGE_BANDS`.  The
    birth date is read from the patient record's PHI wrapper only to place the patient in
    a band; it never leaves this module.
Language
    The primary subtag of the record's BCP 47 ``preferred_language``, lowercase
    (``"zh-Hant"`` → ``"zh"``, ``"es-MX"`` → ``"es"``).

A patient without a record is in the band :data:`UNKNOWN` for age and language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psr_sched.intake.patients import Patient

__all__ = [
    "AGE_BANDS",
    "DEFAULT_PAYER_CLASSES",
    "PAYER_CLASSES",
    "UNKNOWN",
    "PatientBands",
    "age_band",
    "language_band",
    "payer_class",
    "payer_classifier",
]

#: Payer classes, in report order.
PAYER_CLASSES = ("commercial", "medicare", "medicaid", "self-pay", "other")

#: Default class of the payer networks the demo clinic and most US clinics see; override
#: or extend it with the ``payer_classes`` argument of the reports.  TRICARE (military) and
#: workers' compensation fall in ``"other"``.
DEFAULT_PAYER_CLASSES: Mapping[str, str] = {
    "MEDICARE": "medicare",
    "MEDICAID": "medicaid",
    "AETNA": "commercial",
    "BCBS": "commercial",
    "CIGNA": "commercial",
    "HUMANA": "commercial",
    "UHC": "commercial",
    "TRICARE": "other",
    "WORKERS_COMP": "other",
}

#: Age bands as (label, lowest age, highest age), highest ``None`` for an open band.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-34", 18, 34),
    ("35-49", 35, 49),
    ("50-64", 50, 64),
    ("65-74", 65, 74),
    ("75+", 75, None),
)

#: Band of a patient without a registration record.
UNKNOWN = "unknown"


def payer_classifier(payer_classes: Mapping[str, str] | None = None) -> dict[str, str]:
    """The payer → class table: the defaults, overridden by ``payer_classes``.

    Parameters
    ----------
    payer_classes : mapping of str to str, optional
        Payer network → one of :data:`PAYER_CLASSES`; keys are matched case-insensitively.

    Returns
    -------
    dict of str to str
        Upper-case payer → class.

    Raises
    ------
    ValueError
        If a class is not one of :data:`PAYER_CLASSES`.
    """
    table = {key.upper(): value for key, value in DEFAULT_PAYER_CLASSES.items()}
    for payer, klass in (payer_classes or {}).items():
        if klass not in PAYER_CLASSES:
            raise ValueError(
                f"payer {payer}: class {klass!r} is not one of {', '.join(PAYER_CLASSES)}"
            )
        table[payer.upper()] = klass
    return table


def payer_class(payer: str | None, table: Mapping[str, str] | None = None) -> str:
    """The payer class of a request's payer.

    Parameters
    ----------
    payer : str or None
        The request's payer network; ``None`` is self-pay.
    table : mapping of str to str, optional
        A table from :func:`payer_classifier`; the defaults when left out.

    Returns
    -------
    str
        One of :data:`PAYER_CLASSES`.
    """
    if payer is None:
        return "self-pay"
    lookup = table if table is not None else payer_classifier()
    return lookup.get(payer.upper(), "other")


def age_band(birth_date: dt.date, on: dt.date) -> str:
    """The band of :data:`AGE_BANDS` holding the completed years of age on ``on``."""
    years = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    for label, low, high in AGE_BANDS:
        if years >= low and (high is None or years <= high):
            return label
    return UNKNOWN  # born after ``on``


def language_band(tag: str) -> str:
    """The primary language subtag of a BCP 47 tag, lowercase."""
    return tag.split("-", 1)[0].lower() or UNKNOWN


class PatientBands:
    """Age band and language of each patient, derived once from registration records.

    Only the bands are kept: names, birth dates and every other PHI field stay in the
    records.

    Parameters
    ----------
    patients : iterable of Patient
        Registration records, by :attr:`Patient.id`.
    on : datetime.date
        Reference date of the ages.
    """

    def __init__(self, patients: Iterable[Patient], on: dt.date) -> None:
        self._bands = {
            p.id: (age_band(p.birth_date.reveal(), on), language_band(p.preferred_language))
            for p in patients
        }

    def age_band(self, patient_id: str) -> str:
        """The patient's age band, or :data:`UNKNOWN` without a record."""
        return self._bands.get(patient_id, (UNKNOWN, UNKNOWN))[0]

    def language(self, patient_id: str) -> str:
        """The patient's language band, or :data:`UNKNOWN` without a record."""
        return self._bands.get(patient_id, (UNKNOWN, UNKNOWN))[1]
