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
* ``insurance[]``, one result each: ``inforce`` true ACTIVE, false INACTIVE; without
  ``inforce``, a benefit of type Active Coverage (EB01 1-5) says ACTIVE and Inactive (6-8)
  INACTIVE, those of plan-level items first, as clearinghouses relay a 271; with neither,
  UNKNOWN and ``status_reason`` says so.  A contained Coverage it references gives the plan
  (``class`` of type ``plan``: name, else value), the network (``network``) and the coverage
  period (``period``); without one, ``benefitPeriod`` is the period.
* ``insurance.item[]``: the service type is the ``category`` code (X12 service type codes,
  as in ``ex-benefitcategory``), else the service the category text or the item ``name``
  names (``"Professional (Physician) Visit - Office"`` is ``98``, see
  :func:`~psr_sched.intake.codes.service_type_for_name`); an item with none of them is the
  plan's (``30``).  ``network`` ``in``/``out``, ``unit`` ``individual``/``family``,
  ``authorizationRequired``, ``provider`` (an NPI identifier on the reference or on a
  contained Practitioner; in network when ``network`` is ``in``).  Items for a
  ``productOrService`` without a category are skipped; an item whose name maps to no
  service is not read (and listed in ``not_read``), so that it cannot pass as the plan's.
* ``item.benefit[]`` by ``type``: a code of :data:`BENEFIT_TYPES`, else its text (or a
  coding's display) by the EB01 names of :mod:`psr_sched.intake.codes` (``"Co-Payment"``,
  ``"Co-Insurance"``, ``"Deductible"``, ``"Out of Pocket (Stop Loss)"``, ``"Active
  Coverage"``, with or without ``"(Incomplete information)"``).  Copay: allowedMoney;
  coinsurance: allowedUnsignedInt as a percentage, or allowedString like ``"20%"`` or
  ``"0.0%"``; deductible and out of pocket: allowedMoney the amount for the term, usedMoney
  what is used (remaining = allowed − used).  Money must be USD (or have no currency) and
  is read as ``Decimal``, never through ``float``.  Other types are listed in ``not_read``.

Deviations
----------
The resource is validated against the R4B models whole.  A deviation in an element the
reader does not need (``insurer.identifier`` given as a bare string, a malformed contained
Patient, an element R4 does not define) does not stop it: the element is left out, a
warning names it (never its value), and each result lists it in ``not_read``.  A required
element the reader does not need that is missing or left out (``status``, ``purpose``,
``patient``, ``request``, ``insurance.coverage``, a contained Coverage's ``status``,
``beneficiary``, ``payor``) is stood in for, as the reader never looks at it.  A malformed
element the reader needs (:data:`NEEDED_ELEMENTS`, and ``insurer``, ``insurance``, its
items, their benefits and a contained Coverage as wholes) is a :class:`ProblemError`
naming it.

Patient names, birth dates, addresses and member ids in the resource are not kept, logged
or quoted in messages.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.codeableconcept import CodeableConcept
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
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from psr_sched.errors import ProblemError
from psr_sched.intake.codes import (
    BenefitMeaning,
    Eb01,
    eb01_for_text,
    service_type_for_name,
)
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
from psr_sched.intake.phi import describe_error, describe_errors, error_location
from psr_sched.io.text import decode_text, read_text

logger = logging.getLogger(__name__)

#: FHIR version of the resources read.
FHIR_VERSION = "4.0.1"
#: Identifier system of National Provider Identifiers.
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
#: Benefit ``type`` code → what it gives (the vocabulary of EB01 meanings).
BENEFIT_TYPES: Mapping[str, BenefitMeaning] = {
    "copay": "copay",
    "copay-percent": "coinsurance",
    "coinsurance": "coinsurance",
    "deductible": "deductible",
    "out-of-pocket": "oop",
    "out-of-pocket-maximum": "oop",
    "oop-max": "oop",
}
#: Elements the reader needs, dotted, list positions left out (a contained resource by its
#: type): a malformed value at or inside one is an error, never skipped.
NEEDED_ELEMENTS = frozenset(
    {
        "outcome",
        "error",
        "created",
        "servicedDate",
        "servicedPeriod",
        "insurance.inforce",
        "insurance.benefitPeriod",
        "insurance.item.category",
        "insurance.item.name",
        "insurance.item.productOrService",
        "insurance.item.network",
        "insurance.item.unit",
        "insurance.item.authorizationRequired",
        "insurance.item.benefit.type",
        "insurance.item.benefit.allowedMoney",
        "insurance.item.benefit.usedMoney",
        "insurance.item.benefit.allowedUnsignedInt",
        "insurance.item.benefit.allowedString",
        "contained.Coverage.period",
    }
)
_RESOURCE = "CoverageEligibilityResponse"
_NETWORKS: dict[str, Network] = {"in": "in", "out": "out"}
_UNITS: dict[str, Unit] = {"individual": "individual", "family": "family"}
# Needed as wholes: an error at one of these (not inside) is an error of the response.
_WHOLES = frozenset(
    {"", "insurer", "insurance", "insurance.item", "insurance.item.benefit", "contained"}
    | {"contained.Coverage"}
)
# Required elements the reader never looks at: stood in for when missing or left out.
_STAND_INS: Mapping[str, Any] = {
    "status": "active",
    "purpose": ["benefits"],
    "patient": {},
    "request": {},
    "insurance.coverage": {},
    "contained.Coverage.status": "active",
    "contained.Coverage.beneficiary": {},
    "contained.Coverage.payor": [{}],
}
_PASSES = 8
_SERVICE_TYPE_CODE = re.compile(r"^[0-9A-Z]{1,3}$")


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
        none.  Elements left out (see "Deviations" in the module docstring) are listed in
        each result's ``not_read``.

    Raises
    ------
    ProblemError
        If the JSON is not a CoverageEligibilityResponse, or an element the reader needs
        is malformed; the message names the element, never its value.
    """
    resource, left_out = _parse(source)
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
        if rejections or errored:
            status, reason = EligibilityStatus.REJECTED, None
        else:
            status, reason = EligibilityStatus.UNKNOWN, "no insurance entry and no error"
        fields = {**common, "status": status, "status_reason": reason, "not_read": left_out}
        return [_result(fields, "")]
    results = []
    for index, insurance in enumerate(resource.insurance):
        where = f"insurance.{index}"
        coverage = _contained(insurance.coverage, contained, FhirCoverage)
        reading = _read_items(insurance, contained, where)
        if errored:
            status, reason = EligibilityStatus.REJECTED, None
        else:
            status, reason = _status(insurance, reading, where)
        fields = {
            **common,
            "status": status,
            "status_reason": reason,
            "plan": _plan(coverage),
            "network": coverage.network if coverage is not None else None,
            "coverage_periods": _periods(insurance, coverage),
            "benefits": reading.table.build(),
            "in_network_provider_ids": tuple(reading.providers),
            "not_read": (*left_out, *reading.not_read),
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
) -> tuple[CoverageEligibilityResponse, tuple[str, ...]]:
    """The validated resource, and what was left out of it to validate it."""
    data = source if isinstance(source, Mapping) else _load_json(source)
    if not isinstance(data, Mapping) or data.get("resourceType") != _RESOURCE:
        raise ProblemError(f"{_RESOURCE}: resourceType: not a {_RESOURCE}")
    work: dict[str, Any] = copy.deepcopy(dict(data))  # the caller's mapping stays as given
    left_out = _screen_contained(work)
    for _ in range(_PASSES):
        try:
            return CoverageEligibilityResponse.model_validate(work), tuple(left_out)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False)
        # element → (what to do, error type, where the error was)
        fixes: dict[tuple[str | int, ...], tuple[str, str, tuple[str | int, ...]]] = {}
        fatal: list[str] = []
        for error in errors:
            loc = _clean_loc(error["loc"])
            fix = _fix(loc, error["type"], work)
            if fix is None:
                fatal.append(describe_error(_relocated(error, loc), _RESOURCE))
            else:
                fixes.setdefault(fix[0], (fix[1], error["type"], loc))
        if fatal:
            raise ProblemError("\n".join(fatal[:10]))
        paths = sorted(fixes, key=_path_order)
        paths = [
            path
            for path in paths  # not inside an element left out as a whole
            if not any(path[: len(other)] == other for other in paths if len(other) < len(path))
        ]
        stand_ins = {path: _STAND_INS.get(_pattern(path, work)) for path in paths}
        for path in paths:
            _, error_type, where = fixes[path]
            name = _name(path, error_type)
            if _is_missing(error_type) and path == where:
                why = "missing"
            else:
                why = "not an R4 element" if error_type == "extra_forbidden" else "malformed"
            left_out.append(f"{name}: {why}")
            logger.warning("%s: %s: %s (%s); not read", _RESOURCE, name, why, error_type)
        for path in reversed(paths):  # later list entries first: earlier positions hold
            if fixes[path][0] == "stand in":
                _set(work, path, copy.deepcopy(stand_ins[path]))
            else:
                _drop(work, path)
    raise ProblemError(f"{_RESOURCE}: too many malformed elements to read the response")


def _screen_contained(work: dict[str, Any]) -> list[str]:
    """Leave out contained entries that are not R4 resources (fhir.resources cannot say)."""
    contained = work.get("contained")
    if not isinstance(contained, list):
        return []
    left_out = []
    for index in reversed(range(len(contained))):
        entry = contained[index]
        kind = entry.get("resourceType") if isinstance(entry, Mapping) else None
        if isinstance(entry, Mapping) and "resourceType" in entry and not _is_resource(kind):
            del contained[index]
            left_out.append(f"contained.{index}: not an R4 resource")
            logger.warning("%s: contained.%d: not an R4 resource; not read", _RESOURCE, index)
    return left_out[::-1]


def _is_resource(kind: Any) -> bool:
    if not isinstance(kind, str):
        return False
    try:
        return issubclass(get_fhir_model_class(kind), Resource)
    except (ValueError, TypeError, KeyError, ImportError):
        return False


def _clean_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    # fhir-core reports a wrongly typed element at "<element>.root".
    parts = tuple(loc)
    return parts[:-1] if parts and parts[-1] == "root" else parts


def _relocated(error: ErrorDetails, loc: tuple[str | int, ...]) -> ErrorDetails:
    moved = error.copy()
    moved["loc"] = loc
    return moved


def _name(path: tuple[str | int, ...], error_type: str) -> str:
    """How messages name an element: its dotted path, an unknown key masked."""
    return error_location({"type": error_type, "loc": path, "msg": "", "input": None})


def _pattern(loc: Sequence[str | int], work: Mapping[str, Any]) -> str:
    """``insurance.item.benefit.type`` for ``insurance.0.item.3.benefit.1.type``.

    List positions are left out; a contained resource is named by its type.
    """
    parts: list[str] = []
    node: Any = work
    for part in loc:
        child = _child(node, part)
        if isinstance(part, int):
            if parts == ["contained"]:
                kind = child.get("resourceType") if isinstance(child, Mapping) else None
                parts.append(kind if isinstance(kind, str) else "?")
        else:
            parts.append(part)
        node = child
    return ".".join(parts)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(part, int):
        return node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None
    return node.get(part) if isinstance(node, Mapping) else None


def _fix(
    loc: tuple[str | int, ...], error_type: str, work: Mapping[str, Any]
) -> tuple[tuple[str | int, ...], str] | None:
    """What to do about one error: leave out or stand in for an element, or ``None`` (fatal)."""
    if any(_pattern(loc[:end], work) in NEEDED_ELEMENTS for end in range(1, len(loc) + 1)):
        return None
    target = loc
    if _is_missing(error_type) and _pattern(loc, work) not in _STAND_INS:
        target = loc[:-1]  # the element that lacks a required part
    if _pattern(target, work) in _STAND_INS:
        return target, "stand in"
    if _pattern(target, work) in _WHOLES:
        return None
    return target, "drop"


def _is_missing(error_type: str) -> bool:
    return error_type == "missing" or error_type.endswith(".missing")  # fhir-core's own


def _path_order(path: tuple[str | int, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((1, part, "") if isinstance(part, int) else (0, 0, part) for part in path)


def _drop(work: dict[str, Any], path: tuple[str | int, ...]) -> None:
    parent = _child_at(work, path[:-1])
    last = path[-1]
    if isinstance(last, int) and isinstance(parent, list) and -len(parent) <= last < len(parent):
        del parent[last]
    elif isinstance(last, str) and isinstance(parent, dict):
        parent.pop(last, None)


def _set(work: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    parent = _child_at(work, path[:-1])
    if isinstance(parent, dict) and isinstance(path[-1], str):
        parent[path[-1]] = value


def _child_at(work: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    node: Any = work
    for part in path:
        node = _child(node, part)
    return node


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


def _status(
    insurance: CoverageEligibilityResponseInsurance, reading: _Reading, where: str
) -> tuple[EligibilityStatus, str | None]:
    """The status, and why it is UNKNOWN when it is."""
    if insurance.inforce is not None:
        return (EligibilityStatus.ACTIVE if insurance.inforce else EligibilityStatus.INACTIVE), None
    for said in (reading.plan_coverage, reading.coverage):
        if "active" in said:
            return EligibilityStatus.ACTIVE, None
        if "inactive" in said:
            return EligibilityStatus.INACTIVE, None
    return EligibilityStatus.UNKNOWN, (
        f"{where}: no inforce, and no benefit of type Active Coverage or Inactive"
    )


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


@dataclass
class _Reading:
    """What the items of one ``insurance`` entry say."""

    table: BenefitTable = field(default_factory=BenefitTable)
    providers: set[str] = field(default_factory=set)
    plan_coverage: set[BenefitMeaning] = field(default_factory=set)  # of plan-level items
    coverage: set[BenefitMeaning] = field(default_factory=set)  # of any item
    not_read: list[str] = field(default_factory=list)


def _read_items(
    insurance: CoverageEligibilityResponseInsurance, contained: Mapping[str, Any], where: str
) -> _Reading:
    reading = _Reading()
    for index, item in enumerate(insurance.item or []):
        here = f"{where}.item.{index}"
        service_type = _service_type(item, here, reading)
        meanings = [_meaning(benefit.type) for benefit in item.benefit or []]
        for meaning, _ in meanings:
            if meaning in ("active", "inactive"):
                reading.coverage.add(meaning)
                if service_type == PLAN_SERVICE_TYPE:
                    reading.plan_coverage.add(meaning)
        if service_type is None:
            continue
        network = _NETWORKS.get(_code(item.network) or "")
        unit = _UNITS.get(_code(item.unit) or "")
        if network == "in":
            reading.providers.update(_npis(item, contained))
        builder = reading.table.get(service_type, network, unit)
        builder.set("prior_auth_required", item.authorizationRequired)
        _item_benefits(item, [m for m, _ in meanings], builder, here)
        reading.not_read.extend(
            f"{here}.benefit.{number}.type: {why}"
            for number, (_, why) in enumerate(meanings)
            if why is not None
        )
    for entry in reading.not_read:
        logger.info("%s: %s; not read", _RESOURCE, entry)
    return reading


def _service_type(
    item: CoverageEligibilityResponseInsuranceItem, where: str, reading: _Reading
) -> str | None:
    """The item's X12 service type, or ``None`` when its benefits are not read."""
    code = _code(item.category)
    if code is not None:
        if _SERVICE_TYPE_CODE.match(code):
            return code
        reading.not_read.append(f"{where}.category: not an X12 service type code")
        return None
    if item.productOrService is not None:
        return None  # a procedure's benefit, not a service type's
    for name, element in ((item.category and item.category.text, "category"), (item.name, "name")):
        if name:
            found = service_type_for_name(name)
            if found is None:
                reading.not_read.append(f"{where}.{element}: not a service name the reader maps")
            return found
    return PLAN_SERVICE_TYPE  # no category and no name: the plan's


def _meaning(concept: CodeableConcept) -> tuple[BenefitMeaning | None, str | None]:
    """What a benefit ``type`` gives, and why it is not read when it is not."""
    codings = concept.coding or []
    for coding in codings:
        kind = BENEFIT_TYPES.get(coding.code or "")
        if kind is not None:
            return kind, None
    entry: Eb01 | None = None
    for text in (concept.text, *(coding.display for coding in codings)):
        entry = entry or eb01_for_text(text)
    if entry is None:
        return None, "not a benefit type the reader maps"
    if entry.reads is None:
        return None, f"EB01 {entry.code} ({entry.name})"
    return entry.reads, None


def _item_benefits(
    item: CoverageEligibilityResponseInsuranceItem,
    meanings: list[BenefitMeaning | None],
    builder: BenefitBuilder,
    where: str,
) -> None:
    for index, (benefit, kind) in enumerate(zip(item.benefit or [], meanings, strict=True)):
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
