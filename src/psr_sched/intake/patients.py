"""Patient registration records: demographics, contact, language, coverages and consents.

Names, the birth date, the address, the phone number, the e-mail address, member ids and
group numbers are :class:`~psr_sched.intake.phi.PHI`: they never show in a ``repr``, in
``str``, in a default dump, in a log line or in an error message.  A :class:`Patient`'s
``repr`` is its opaque id and counts.  :func:`load_patients` reads records and reports every
invalid one by id and field.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from psr_sched.domain.base import DomainModel, Identifier
from psr_sched.errors import ProblemError
from psr_sched.intake.normalize import (
    normalize_country,
    normalize_email,
    normalize_language,
    normalize_name,
    normalize_phone,
    normalize_postal_code,
    normalize_state,
    normalize_suffix,
)
from psr_sched.intake.phi import PHI, describe_errors
from psr_sched.io.text import read_text

logger = logging.getLogger(__name__)

_ERROR_LINES = 10


def _text(value: Any) -> Any:
    # Numbers typed into a spreadsheet column (ZIP, member id) arrive as int.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _member_id(value: str) -> str:
    text = value.strip().upper()
    if not 2 <= len(text) <= 80 or not all(ch.isalnum() or ch in "-" for ch in text):
        raise ValueError("must be 2 to 80 letters, digits or dashes")
    return text


def _birth_date(value: dt.date) -> dt.date:
    if value > dt.date.today():
        raise ValueError("must not be in the future")
    if value.year < 1900:
        raise ValueError("must not be before 1900")
    return value


_SEX_ALIASES = {"f": "female", "m": "male", "o": "other", "u": "unknown", "x": "other"}
_RELATIONSHIP_ALIASES = {"18": "self", "01": "spouse", "19": "child", "G8": "other"}


def _sex(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    key = value.strip().lower()
    return _SEX_ALIASES.get(key, key)


def _relationship(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    key = value.strip()
    return _RELATIONSHIP_ALIASES.get(key.upper(), key.lower())


#: A person-name part, normalized by :func:`~psr_sched.intake.normalize.normalize_name`.
PersonName = Annotated[str, AfterValidator(normalize_name)]
#: A phone number in E.164 form (US default), see :func:`normalize_phone`.
Phone = Annotated[str, AfterValidator(normalize_phone)]
#: An e-mail address with a lowercase domain.
Email = Annotated[str, AfterValidator(normalize_email)]
#: A payer's member id: uppercase letters, digits and dashes.
MemberId = Annotated[str, BeforeValidator(_text), AfterValidator(_member_id)]
#: A birth date: not in the future, not before 1900.
BirthDate = Annotated[dt.date, AfterValidator(_birth_date)]
#: A BCP 47 language tag in canonical case, e.g. ``"en"``, ``"es-MX"``.
LanguageTag = Annotated[str, AfterValidator(normalize_language)]
#: Administrative sex (FHIR codes); ``F``, ``M``, ``O``, ``U``, ``X`` are accepted.
Sex = Annotated[Literal["female", "male", "other", "unknown"], BeforeValidator(_sex)]
#: The patient's relationship to the subscriber (FHIR subscriber-relationship codes); the
#: X12 codes 18, 01, 19 and G8 are accepted.
SubscriberRelationship = Annotated[
    Literal["self", "spouse", "child", "parent", "common", "injured", "other"],
    BeforeValidator(_relationship),
]


class Address(DomainModel):
    """A postal address; on a :class:`Patient` it is wrapped whole in :class:`PHI`.

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 code, ``"US"`` by default; it decides how the state and the
        postal code are checked.
    line1, line2 : str
        Street lines, whitespace collapsed.
    city : str
        City.
    state : str or None
        USPS code in the US (full names are accepted and converted); required there.
    postal_code : str
        ZIP (``NNNNN``) or ZIP+4 (``NNNNN-NNNN``) in the US.
    """

    country: str = "US"
    line1: str = Field(min_length=1, max_length=100)
    line2: str | None = Field(default=None, max_length=100)
    city: str = Field(min_length=1, max_length=60)
    state: str | None = None
    postal_code: Annotated[str, BeforeValidator(_text)]

    @field_validator("country", mode="after")
    @classmethod
    def _country(cls, value: str) -> str:
        return normalize_country(value)

    @field_validator("line1", "line2", "city", mode="before")
    @classmethod
    def _collapse(cls, value: Any) -> Any:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("state", mode="after")
    @classmethod
    def _state(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return normalize_state(value, info.data.get("country", "US"))

    @field_validator("postal_code", mode="after")
    @classmethod
    def _postal_code(cls, value: str, info: ValidationInfo) -> str:
        return normalize_postal_code(value, info.data.get("country", "US"))

    @model_validator(mode="after")
    def _us_state(self) -> Address:
        if self.country == "US" and self.state is None:
            raise ValueError("state is required for a US address")
        return self

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        return [("country", self.country)]


class Consents(DomainModel):
    """Signed consents and acknowledgements on file.

    Parameters
    ----------
    treatment : bool
        General consent to treatment.
    privacy_notice : bool
        Acknowledgement of the notice of privacy practices.
    financial_responsibility : bool
        Signed financial policy / assignment of benefits.
    telehealth : bool
        Consent to telehealth; needed for virtual visits only.
    """

    treatment: bool = False
    privacy_notice: bool = False
    financial_responsibility: bool = False
    telehealth: bool = False


ConsentKind = Literal["treatment", "privacy_notice", "financial_responsibility", "telehealth"]


class Coverage(DomainModel):
    """One insurance coverage of a patient.

    Parameters
    ----------
    payer_id : str
        Payer identifier (e.g. the payer id used in X12 transactions).
    payer_name : str or None
        Readable payer name.
    network : str or None
        Payer network, as used by :attr:`AppointmentRequest.payer
        <psr_sched.domain.AppointmentRequest>` and ``Provider.networks``.
    plan_name : str or None
        Plan name, e.g. ``"ACME GOLD PPO"``.
    member_id : PHI of str
        Member (subscriber) id on the card.
    group_number : PHI of str or None
        Group number on the card.
    relationship : str
        Patient's relationship to the subscriber: ``"self"``, ``"spouse"``, ``"child"``, ...
    effective_start, effective_end : date
        The policy's effective period; ``effective_end`` ``None`` if open.  In force on a
        day only when the day lies in it (see :meth:`in_effect`).
    card_image_on_file : bool
        Whether both sides of the card are scanned.
    verified_on : date or None
        Last day the front desk confirmed eligibility with the payer.
    """

    payer_id: Identifier
    payer_name: str | None = None
    network: str | None = None
    plan_name: str | None = None
    member_id: PHI[MemberId]
    group_number: PHI[MemberId] | None = None
    relationship: SubscriberRelationship = "self"
    effective_start: dt.date
    effective_end: dt.date | None = None
    card_image_on_file: bool = False
    verified_on: dt.date | None = None

    @model_validator(mode="after")
    def _period(self) -> Coverage:
        if self.effective_end is not None and self.effective_end < self.effective_start:
            # The dates stay out of the message.
            raise ValueError("effective_end is before effective_start")
        return self

    def in_effect(self, day: dt.date) -> bool:
        """Whether the policy is in force on ``day`` (start and end inclusive)."""
        return self.effective_start <= day and (
            self.effective_end is None or day <= self.effective_end
        )

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        return [("payer_id", self.payer_id), ("network", self.network)]


class Patient(DomainModel):
    """A patient's registration record.

    Parameters
    ----------
    id : str
        Opaque patient key, the one used by appointment requests (never an MRN, a name or
        a member id).
    family_name, given_name, middle_name : PHI of str
        Name parts, see :func:`~psr_sched.intake.normalize.normalize_name`.
    name_suffix : PHI of str or None
        ``Jr``, ``Sr``, ``II``, ``III``, ``IV`` or ``V``.
    birth_date : PHI of date
        Birth date.
    sex : str
        Administrative sex: ``"female"``, ``"male"``, ``"other"`` or ``"unknown"``.
    address : PHI of Address or None
        Home address.
    address_verified : bool
        Whether the address was checked (against the ID or a postal service).
    phone : PHI of str or None
        Phone in E.164 form; national numbers are taken as US.
    email : PHI of str or None
        E-mail address.
    preferred_language : str
        BCP 47 tag, canonical case: ``"en"``, ``"es"``, ``"zh-Hant"``.
    coverages : tuple of Coverage
        Coverages in order of benefit (primary first).
    self_pay : bool
        The patient pays without insurance; no coverage is then expected.
    consents : Consents
        Consents on file.
    """

    id: Identifier
    family_name: PHI[PersonName]
    given_name: PHI[PersonName]
    middle_name: PHI[PersonName] | None = None
    name_suffix: PHI[Annotated[str, AfterValidator(normalize_suffix)]] | None = None
    birth_date: PHI[BirthDate]
    sex: Sex = "unknown"
    address: PHI[Address] | None = None
    address_verified: bool = False
    phone: PHI[Phone] | None = None
    email: PHI[Email] | None = None
    preferred_language: LanguageTag = "en"
    coverages: tuple[Coverage, ...] = ()
    self_pay: bool = False
    consents: Consents = Field(default_factory=Consents)

    @field_validator("middle_name", "name_suffix", "phone", "email", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _verified_needs_address(self) -> Patient:
        if self.address_verified and self.address is None:
            raise ValueError("address_verified is true but there is no address")
        return self

    def current_coverages(self, day: dt.date) -> tuple[Coverage, ...]:
        """Coverages in force on ``day``, primary first."""
        return tuple(c for c in self.coverages if c.in_effect(day))

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        return [("id", self.id), ("coverages", len(self.coverages))]


def load_patients(
    source: str | os.PathLike[str] | Iterable[Mapping[str, Any]],
) -> list[Patient]:
    """Read and validate registration records.

    Parameters
    ----------
    source : path or iterable of dict
        A JSON file holding a list of records or ``{"patients": [...]}``, or the records.

    Returns
    -------
    list of Patient
        In input order.

    Raises
    ------
    ProblemError
        If the file cannot be read, or any record is invalid or repeats an id.  Each line of
        the message names the record (``patient P001`` or ``patient #3`` without a usable
        id) and the field, never the value.
    """
    records = _records(source)
    patients: list[Patient] = []
    lines: list[str] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        name = _record_name(record, index)
        try:
            patient = Patient.model_validate(record)
        except ValidationError as exc:
            lines.extend(describe_errors(exc, name))
            continue
        if patient.id in seen:
            lines.append(f"{name}: id: is used by more than one record")
            continue
        seen.add(patient.id)
        patients.append(patient)
    if lines:
        logger.warning("patient records: %d errors in %d records", len(lines), len(records))
        shown = lines[:_ERROR_LINES]
        if len(lines) > _ERROR_LINES:
            shown.append(f"... and {len(lines) - _ERROR_LINES} more")
        raise ProblemError("invalid patient records:\n" + "\n".join(shown))
    logger.debug("loaded %d patient records", len(patients))
    return patients


def _records(source: str | os.PathLike[str] | Iterable[Mapping[str, Any]]) -> list[Any]:
    if not isinstance(source, str | os.PathLike):
        return list(source)
    path = Path(source)
    text = read_text(path, label=f"patient file {path.name}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # The decoder's message has a position, not the text around it.
        raise ProblemError(
            f"patient file {path.name}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    if isinstance(data, Mapping) and set(data) == {"patients"}:
        data = data["patients"]
    if not isinstance(data, list):
        raise ProblemError(f"patient file {path.name}: must hold a list of patient records")
    return data


def _record_name(record: Any, index: int) -> str:
    key = record.get("id") if isinstance(record, Mapping) else None
    if isinstance(key, str) and 0 < len(key) <= 64 and key == key.strip():
        return f"patient {key}"
    return f"patient #{index + 1}"


__all__ = [
    "Address",
    "ConsentKind",
    "Consents",
    "Coverage",
    "Patient",
    "load_patients",
]
