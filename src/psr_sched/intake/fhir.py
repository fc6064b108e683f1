"""Read FHIR R4 CoverageEligibilityResponse resources into :class:`EligibilityResult`.

FHIR version: R4 (4.0.1) JSON, parsed with the R4B (4.3.0) models of ``fhir.resources``
8.x (``fhir.resources.R4B``).  fhir.resources 8 builds on pydantic 2 (through fhir-core),
as this library does; its default models are R5 and it ships no plain R4 package.
The elements of CoverageEligibilityResponse and Coverage read here are the same in R4 and
R4B, so the R4B models read R4 payloads element for element; the R5 models would accept
elements R4 does not have (``event``) and read ``outcome`` against R5 codes.

What is read
------------
* ``insurer``: payer id (``identifier.value``) and name (``display``, or the name of a
  contained Organization it references).
* ``servicedDate`` / ``servicedPeriod.start``, else ``created``: ``as_of``.
* ``outcome`` ``error`` or ``error[]`` without insurance: REJECTED, one
  :class:`Rejection` per ``error.code``.
* ``insurance[]``, one result each: ``inforce`` true ACTIVE, false INACTIVE, absent
  UNKNOWN; a contained Coverage it references gives the plan (``class`` of type ``plan``:
  name, else value), the network (``network``) and the coverage period (``period``); without
  one, ``benefitPeriod`` is the period.
* ``insurance.item[]``: ``category`` code is the service type (X12 service type codes, as
  in ``ex-benefitcategory``; none means ``30``), ``network`` ``in``/``out``, ``unit``
  ``individual``/``family``, ``authorizationRequired``, ``provider`` (an NPI identifier on
  the reference or on a contained Practitioner; in network when ``network`` is ``in``).
  Items for a ``productOrService`` without a category are skipped.
* ``item.benefit[]`` by ``type`` code (:data:`BENEFIT_TYPES`): ``copay`` (allowedMoney),
  ``copay-percent`` or ``coinsurance`` (allowedUnsignedInt as a percentage, or
  allowedString like ``"20%"``), ``deductible`` and ``out-of-pocket`` (allowedMoney the
  amount for the term, usedMoney what is used: remaining = allowed − used).  Money must be
  USD (or have no currency) and is read as ``Decimal``, never through ``float``.

Patient names, birth dates, addresses and member ids in the resource are not kept, logged
or quoted in messages.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fhir.resources.R4B.coverage import Coverage as FhirCoverage
from fhir.resources.R4B.coverageeligibilityresponse import (
    CoverageEligibilityResponse,
    CoverageEligibilityResponseInsurance,
    CoverageEligibilityResponseInsuranceItem,
)
from fhir.resources.R4B.money import Money as FhirMoney
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.reference import Reference
from pydantic import ValidationError

from psr_sched.errors import ProblemError
from psr_sched.intake.eligibility import (
    PLAN_SERVICE_TYPE,
    BenefitBuilder,
    BenefitTable,
    CoveragePeriod,
    EligibilityResult,
    EligibilityStatus,
    Network,
    Rejection,
    Unit,
)
from psr_sched.intake.phi import describe_errors
from psr_sched.io.text import decode_text, read_text

logger = logging.getLogger(__name__)

#: FHIR version of the resources read.
FHIR_VERSION = "4.0.1"
#: Identifier system of National Provider Identifiers.
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
#: Benefit ``type`` code → what it gives.
BENEFIT_TYPES: Mapping[str, str] = {
    "copay": "copay",
    "copay-percent": "coinsurance",
    "coinsurance": "coinsurance",
    "deductible": "deductible",
    "out-of-pocket": "oop",
    "out-of-pocket-maximum": "oop",
    "oop-max": "oop",
}
_RESOURCE = "CoverageEligibilityResponse"
_NETWORKS: dict[str, Network] = {"in": "in", "out": "out"}
_UNITS: dict[str, Unit] = {"individual": "individual", "family": "family"}


def read_fhir_eligibility(
    source: str | os.PathLike[str] | bytes | Mapping[str, Any], patient_id: str
) -> list[EligibilityResult]:
    """One :class:`EligibilityResult` per ``insurance`` entry of a CoverageEligibilityResponse.

    Parameters
    ----------
    source : str, path, bytes or mapping
        JSON text (a ``str`` starting with ``{``), a path to a JSON file, or the parsed
        resource.
    patient_id : str
        The clinic's opaque key of the patient the response is about.

    Returns
    -------
    list of EligibilityResult
        One per ``insurance`` entry; a single REJECTED (or UNKNOWN) result when there is
        none.

    Raises
    ------
    ProblemError
        If the JSON is not a valid R4 CoverageEligibilityResponse; the message names the
        element, never its value.
    """
    resource = _parse(source)
    contained = {item.id: item for item in resource.contained or [] if item.id}
    payer_id, payer_name = _insurer(resource.insurer, contained)
    rejections = tuple(_rejections(resource))
    common: dict[str, Any] = {
        "patient_id": patient_id,
        "payer_id": payer_id,
        "payer_name": payer_name,
        "as_of": _as_of(resource),
        "rejections": rejections,
    }
    errored = resource.outcome == "error"
    if not resource.insurance:
        status = EligibilityStatus.REJECTED if rejections or errored else EligibilityStatus.UNKNOWN
        return [_result({**common, "status": status}, "")]
    results = []
    for index, insurance in enumerate(resource.insurance):
        where = f"insurance.{index}"
        coverage = _contained(insurance.coverage, contained, FhirCoverage)
        fields = {
            **common,
            "status": EligibilityStatus.REJECTED if errored else _status(insurance),
            "plan": _plan(coverage),
            "network": coverage.network if coverage is not None else None,
            "coverage_periods": _periods(insurance, coverage),
            **_benefits(insurance, contained, where),
        }
        results.append(_result(fields, where))
    logger.debug("FHIR: read %d eligibility results", len(results))
    return results


def eligibility_from_fhir(
    source: str | os.PathLike[str] | bytes | Mapping[str, Any], patient_id: str
) -> EligibilityResult:
    """The :class:`EligibilityResult` of a response with (at most) one ``insurance`` entry.

    Raises
    ------
    ProblemError
        If the resource is invalid or has more than one ``insurance`` entry.
    """
    results = read_fhir_eligibility(source, patient_id)
    if len(results) != 1:
        raise ProblemError(
            f"{_RESOURCE}: insurance: expected one entry, found {len(results)}; "
            "use read_fhir_eligibility"
        )
    return results[0]


def _parse(
    source: str | os.PathLike[str] | bytes | Mapping[str, Any],
) -> CoverageEligibilityResponse:
    data = source if isinstance(source, Mapping) else _load_json(source)
    if not isinstance(data, Mapping) or data.get("resourceType") != _RESOURCE:
        raise ProblemError(f"{_RESOURCE}: resourceType: not a {_RESOURCE}")
    try:
        return CoverageEligibilityResponse.model_validate(data)
    except ValidationError as exc:
        lines = describe_errors(exc, _RESOURCE)
        raise ProblemError("\n".join(lines[:10])) from None


def _load_json(source: str | os.PathLike[str] | bytes) -> Any:
    if isinstance(source, str) and source.lstrip().startswith("{"):
        text = source
    elif isinstance(source, bytes):
        text = decode_text(source, _RESOURCE)
    else:
        path = Path(source)
        text = read_text(path, label=f"{_RESOURCE} file {path.name}")
    try:
        # Decimals straight from the text: money never passes through float.
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ProblemError(
            f"{_RESOURCE}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None


def _result(fields: dict[str, Any], where: str) -> EligibilityResult:
    try:
        return EligibilityResult.model_validate(fields)
    except ValidationError as exc:
        record = f"{_RESOURCE} {where}".rstrip()
        raise ProblemError("\n".join(describe_errors(exc, record))) from None


def _contained(reference: Reference | None, contained: Mapping[str, Any], kind: type[Any]) -> Any:
    if reference is None or not reference.reference or not reference.reference.startswith("#"):
        return None
    found = contained.get(reference.reference[1:])
    return found if isinstance(found, kind) else None


def _insurer(insurer: Reference, contained: Mapping[str, Any]) -> tuple[str | None, str | None]:
    organization = _contained(insurer, contained, Organization)
    payer_id = insurer.identifier.value if insurer.identifier is not None else None
    name = insurer.display
    if organization is not None:
        ids = [i.value for i in organization.identifier or [] if i.value]
        payer_id = payer_id or (ids[0] if ids else None)
        name = name or organization.name
    return payer_id, name


def _as_of(resource: CoverageEligibilityResponse) -> dt.date | None:
    if resource.servicedDate is not None:
        return _day(resource.servicedDate, first=True)
    if resource.servicedPeriod is not None and resource.servicedPeriod.start is not None:
        return _day(resource.servicedPeriod.start, first=True)
    return _day(resource.created, first=True)


def _day(value: Any, *, first: bool) -> dt.date | None:
    """A FHIR date or dateTime as a date; partial dates give their first or last day."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    year, _, month = str(value).partition("-")
    if not month:
        return dt.date(int(year), 1, 1) if first else dt.date(int(year), 12, 31)
    last = calendar.monthrange(int(year), int(month))[1]
    return dt.date(int(year), int(month), 1 if first else last)


def _rejections(resource: CoverageEligibilityResponse) -> list[Rejection]:
    rejections = []
    for error in resource.error or []:
        codings = error.code.coding or []
        code = next((c.code for c in codings if c.code), None) or error.code.text
        display = next((c.display for c in codings if c.display), None)
        if code:
            rejections.append(Rejection(code=code, description=display, level="response"))
    return rejections


def _status(insurance: CoverageEligibilityResponseInsurance) -> EligibilityStatus:
    if insurance.inforce is None:
        return EligibilityStatus.UNKNOWN
    return EligibilityStatus.ACTIVE if insurance.inforce else EligibilityStatus.INACTIVE


def _plan(coverage: FhirCoverage | None) -> str | None:
    if coverage is None:
        return None
    for item in coverage.class_fhir or []:
        if any(c.code == "plan" for c in item.type.coding or []):
            return str(item.name or item.value)
    return None


def _periods(
    insurance: CoverageEligibilityResponseInsurance, coverage: FhirCoverage | None
) -> tuple[CoveragePeriod, ...]:
    period = coverage.period if coverage is not None and coverage.period else None
    period = period or insurance.benefitPeriod
    if period is None or (period.start is None and period.end is None):
        return ()
    return (
        CoveragePeriod(start=_day(period.start, first=True), end=_day(period.end, first=False)),
    )


def _benefits(
    insurance: CoverageEligibilityResponseInsurance, contained: Mapping[str, Any], where: str
) -> dict[str, Any]:
    table = BenefitTable()
    providers: set[str] = set()
    for index, item in enumerate(insurance.item or []):
        if item.category is None and item.productOrService is not None:
            continue  # a procedure's benefit, not a service type's
        service_type = _code(item.category) or PLAN_SERVICE_TYPE
        network = _NETWORKS.get(_code(item.network) or "")
        unit = _UNITS.get(_code(item.unit) or "")
        if network == "in":
            providers.update(_npis(item, contained))
        builder = table.get(service_type, network, unit)
        builder.set("prior_auth_required", item.authorizationRequired)
        _item_benefits(item, builder, f"{where}.item.{index}")
    return {"benefits": table.build(), "in_network_provider_ids": tuple(providers)}


def _item_benefits(
    item: CoverageEligibilityResponseInsuranceItem, builder: BenefitBuilder, where: str
) -> None:
    for index, benefit in enumerate(item.benefit or []):
        kind = BENEFIT_TYPES.get(_code(benefit.type) or "")
        here = f"{_RESOURCE}: {where}.benefit.{index}"
        if kind == "copay":
            builder.set("copay", _money(benefit.allowedMoney, f"{here}.allowedMoney"))
        elif kind == "coinsurance":
            builder.set("coinsurance", _share(benefit, here))
        elif kind in ("deductible", "oop"):
            allowed = _money(benefit.allowedMoney, f"{here}.allowedMoney")
            used = _money(benefit.usedMoney, f"{here}.usedMoney")
            if kind == "deductible":
                builder.set("deductible", allowed)
                builder.deductible_used = builder.deductible_used or used
            else:
                builder.set("oop_max", allowed)
                builder.oop_used = builder.oop_used or used


def _money(money: FhirMoney | None, where: str) -> Decimal | None:
    if money is None or money.value is None:
        return None
    if money.currency not in (None, "USD"):
        raise ProblemError(f"{where}.currency: only USD is supported")
    return Decimal(money.value)


def _share(benefit: Any, where: str) -> Decimal | None:
    if benefit.allowedUnsignedInt is not None:
        percent = Decimal(benefit.allowedUnsignedInt)
    elif benefit.allowedString is not None:
        text = benefit.allowedString.strip()
        try:
            percent = Decimal(text.removesuffix("%").strip())
        except InvalidOperation:
            raise ProblemError(f"{where}.allowedString: not a percentage") from None
        if not text.endswith("%") and percent <= 1:
            return percent  # already a fraction, "0.2"
    else:
        return None
    if not 0 <= percent <= 100:
        raise ProblemError(f"{where}: a percentage outside 0 to 100")
    return percent / 100


def _npis(item: CoverageEligibilityResponseInsuranceItem, contained: Mapping[str, Any]) -> set[str]:
    reference = item.provider
    if reference is None:
        return set()
    identifiers = [reference.identifier] if reference.identifier is not None else []
    practitioner = _contained(reference, contained, Practitioner)
    if practitioner is not None:
        identifiers.extend(practitioner.identifier or [])
    return {i.value for i in identifiers if i.system == NPI_SYSTEM and i.value}


def _code(concept: Any) -> str | None:
    if concept is None:
        return None
    return next((c.code for c in concept.coding or [] if c.code), None)


__all__ = [
    "BENEFIT_TYPES",
    "FHIR_VERSION",
    "NPI_SYSTEM",
    "eligibility_from_fhir",
    "read_fhir_eligibility",
]
