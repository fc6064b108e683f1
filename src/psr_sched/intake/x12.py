"""Read X12 005010X279A1 271 eligibility responses into :class:`EligibilityResult`.

A small reader of the segments a front desk needs, not a general X12 validator.  No
maintained parser on PyPI fits: pyx12 (4.0) ships a 271 map only for version 4010 and logs
offending element values (patient data), and linuxforhealth-x12 (0.57, 2022) needs
pydantic 1.

What is read
------------
* Envelope: ISA (the delimiters come from it: element separator at position 4, repetition
  separator ISA11, component separator ISA16, segment terminator after ISA16), GS (``HB``),
  ST ``271`` / SE (segment count), GE, IEA (control numbers).  Line breaks after the
  terminator are ignored.
* BHT04: the response date, ``as_of`` when no service date is given.
* HL loops: 20 information source (payer), 21 information receiver, 22 subscriber,
  23 dependent.  Each subscriber without dependents, and each dependent, is one member:
  one :class:`EligibilityResult`.  A dependent takes plan, network and dates from its
  subscriber when it has none.
* NM1*PR: payer name (NM103) and id (NM109).  TRN: trace number (TRN02, ``2`` before ``1``).
  REF*18: plan (REF03 name, else REF02); REF*N6: network (REF02).
  DTP: 356/357/307 eligibility, else 346/347/291 plan dates give the coverage period;
  472 the service date (``as_of``).  D8 and RD8 formats.
* EB (loop 2110), by the EB01 table of :mod:`psr_sched.intake.codes`: 1-5 active, 6-8
  inactive (none of them: UNKNOWN, and ``status_reason`` says so); A coinsurance (EB08),
  B copay (EB07), C deductible, G out of pocket (EB07, with EB06 29/33 remaining, 24 used
  so far, any other the total); other codes are passed over and listed, with their
  segments, in ``not_read``.  EB02 IND/EMP/SPO individual, FAM and other tiers family;
  EB03 service types (repeated; none means ``30``); EB05 plan name; EB11 authorization
  required (Y/N); EB12 in network (Y in, N out, W/U/none unspecified).  EB08 above 1 is
  read as a percentage (some payers send 20 for 20 %).  An EB with a procedure (EB13) is
  skipped.
* In loop 2110: MSG (a "prior authorization required" text sets the authorization flag
  when EB11 does not), DTP (coverage dates when the member loop has none), AAA, and LS/LE
  loop 2120 where NM1 with NM108 ``XX`` names a provider NPI, in network when EB12 is Y.
  HSD, III and other segments are passed over.
* AAA: rejections at any level; one at the payer, receiver or member level makes the
  member REJECTED.

Names, member ids, birth dates and addresses in the file are never kept, logged or quoted:
error messages name the segment number, the segment id and the element.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import ValidationError

from psr_sched.errors import ProblemError
from psr_sched.intake.codes import EB01_CODES
from psr_sched.intake.eligibility import (
    PLAN_SERVICE_TYPE,
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

T = TypeVar("T")
_Level = Literal["payer", "receiver", "subscriber", "dependent", "benefit"]

_ISA_LENGTH = 106
_ACTIVE = frozenset(code for code, entry in EB01_CODES.items() if entry.reads == "active")
_INACTIVE = frozenset(code for code, entry in EB01_CODES.items() if entry.reads == "inactive")
_EB01_CODE = re.compile(r"^[0-9A-Z]{1,2}$")
_REMAINING = frozenset({"29", "33"})  # remaining, lifetime remaining
_USED = frozenset({"24"})  # year to date
_INDIVIDUAL = frozenset({"IND", "EMP", "SPO"})
_NETWORK: dict[str, Network] = {"Y": "in", "N": "out"}
_ELIGIBILITY_DATES = ("356", "357", "307")
_PLAN_DATES = ("346", "347", "291")
_AUTH_TEXT = re.compile(r"\b(PRIOR|PRE)[- ]?(AUTH|CERT)", re.IGNORECASE)
_AUTH_REQUIRED = re.compile(r"\bREQUIRED\b", re.IGNORECASE)
_AUTH_NEGATED = re.compile(r"\bNOT\s+REQUIRED\b|\bNO\s+(PRIOR|PRE)", re.IGNORECASE)
_LEVELS: dict[str, _Level] = {
    "20": "payer",
    "21": "receiver",
    "22": "subscriber",
    "23": "dependent",
}

#: Common AAA03 reject reason codes of the 271 and their meaning.
REJECT_REASONS: Mapping[str, str] = {
    "04": "Authorized quantity exceeded",
    "15": "Required application data missing",
    "41": "Authorization/access restrictions",
    "42": "Unable to respond at current time",
    "43": "Invalid/missing provider identification",
    "44": "Invalid/missing provider name",
    "45": "Invalid/missing provider specialty",
    "47": "Invalid/missing provider state",
    "48": "Invalid/missing referring provider identification number",
    "49": "Provider is not primary care physician",
    "50": "Provider ineligible for inquiries",
    "51": "Provider not on file",
    "52": "Service dates not within provider plan enrollment",
    "53": "Inquired benefit inconsistent with provider type",
    "54": "Inappropriate product/service ID qualifier",
    "55": "Inappropriate product/service ID",
    "56": "Inappropriate date",
    "57": "Invalid/missing date(s) of service",
    "58": "Invalid/missing date of birth",
    "60": "Date of birth follows date(s) of service",
    "61": "Date of death precedes date(s) of service",
    "62": "Date of service not within allowable inquiry period",
    "63": "Date of service in future",
    "64": "Invalid/missing patient ID",
    "65": "Invalid/missing patient name",
    "66": "Invalid/missing patient gender code",
    "67": "Patient not found",
    "68": "Duplicate patient ID number",
    "71": "Patient birth date does not match that for the patient on the database",
    "72": "Invalid/missing subscriber/insured ID",
    "73": "Invalid/missing subscriber/insured name",
    "74": "Invalid/missing subscriber/insured gender code",
    "75": "Subscriber/insured not found",
    "76": "Duplicate subscriber/insured ID number",
    "77": "Subscriber found, patient not found",
    "78": "Subscriber/insured not in group/plan identified",
    "79": "Invalid participant identification",
    "80": "No response received - transaction terminated",
    "97": "Invalid or missing provider address",
    "T4": "Payer name or identifier missing",
}


@dataclass(frozen=True)
class Delimiters:
    """The separators of an interchange, read from its ISA segment."""

    element: str
    component: str
    repetition: str | None
    segment: str


@dataclass(frozen=True, repr=False)
class Segment:
    """One segment: its id, its elements (``element(1)`` is the first), its ordinal.

    The ``repr`` shows the id and the ordinal only: element values may be patient data.
    """

    tag: str
    elements: tuple[str, ...]
    number: int
    delimiters: Delimiters

    def element(self, position: int) -> str:
        """Element ``position`` (1-based), ``""`` when absent."""
        return self.elements[position - 1] if 0 < position <= len(self.elements) else ""

    def repeats(self, position: int) -> list[str]:
        """The non-empty repetitions of element ``position``."""
        value = self.element(position)
        separator = self.delimiters.repetition
        parts = value.split(separator) if separator else [value]
        return [part for part in parts if part]

    def where(self, position: int | None = None) -> str:
        """``"271 segment 14 (EB)"``, or with ``position`` ``"271 segment 14 (EB): EB07"``."""
        text = f"271 segment {self.number} ({self.tag})"
        return text if position is None else f"{text}: {self.tag}{position:02d}"

    def __repr__(self) -> str:
        return f"Segment({self.tag}, number={self.number})"


def read_segments(text: str) -> tuple[Delimiters, list[Segment]]:
    """Split an interchange into segments with the delimiters its ISA header declares.

    Raises
    ------
    ProblemError
        If the text does not start with a complete ISA segment.
    """
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA") or len(text) < _ISA_LENGTH:
        raise ProblemError("271: does not start with a complete ISA segment")
    element, repetition, component, terminator = text[3], text[82], text[104], text[105]
    if text[:_ISA_LENGTH].count(element) != 16 or len({element, component, terminator}) < 3:
        raise ProblemError("271 segment 1 (ISA): not a fixed-length ISA segment")
    delimiters = Delimiters(
        element=element,
        component=component,
        # Before version 00501, ISA11 was a standards identifier ("U"), not a separator.
        repetition=repetition if text[84:89] >= "00501" and not repetition.isalnum() else None,
        segment=terminator,
    )
    segments: list[Segment] = []
    for raw in text.split(terminator):
        raw = raw.strip("\r\n")
        if not raw.strip():
            continue
        tag, *elements = raw.split(element)
        segments.append(Segment(tag.strip(), tuple(elements), len(segments) + 1, delimiters))
    return delimiters, segments


@dataclass
class _Loop:
    """One HL loop and the segments up to the next HL."""

    hl: Segment
    segments: list[Segment] = field(default_factory=list)

    @property
    def level(self) -> str:
        return self.hl.element(3)

    @property
    def parent(self) -> str:
        return self.hl.element(2)


@dataclass
class _Transaction:
    """One ST..SE transaction set: the BHT and its HL loops by HL id."""

    bht: Segment | None
    loops: dict[str, _Loop]


def _transactions(segments: list[Segment]) -> Iterator[_Transaction]:
    groups = 0
    sets = 0
    index = 0
    isa = segments[0]
    while index < len(segments):
        segment = segments[index]
        if segment.tag == "GS":
            groups += 1
            if segment.element(1) != "HB":
                raise ProblemError(f"{segment.where(1)}: not an eligibility response group (HB)")
            if not segment.element(8).startswith("005010X279"):
                raise ProblemError(f"{segment.where(8)}: version is not 005010X279A1")
        elif segment.tag == "GE":
            _check_count(segment, sets, "transaction sets")
            sets = 0
        elif segment.tag == "IEA":
            _check_count(segment, groups, "functional groups")
            if segment.element(2) != isa.element(13):
                raise ProblemError(f"{segment.where(2)}: does not match ISA13")
        elif segment.tag == "ST":
            if segment.element(1) != "271":
                raise ProblemError(f"{segment.where(1)}: not a 271 transaction set")
            end = _find_se(segments, index)
            sets += 1
            yield _split_loops(segments[index + 1 : end])
            index = end
        index += 1


def _find_se(segments: list[Segment], start: int) -> int:
    st = segments[start]
    for end in range(start + 1, len(segments)):
        se = segments[end]
        if se.tag == "SE":
            _check_count(se, end - start + 1, "segments")
            if se.element(2) != st.element(2):
                raise ProblemError(f"{se.where(2)}: does not match ST02")
            return end
        if se.tag in ("ST", "GE", "IEA"):
            break
    raise ProblemError(f"{st.where()}: transaction set has no SE (truncated file?)")


def _check_count(segment: Segment, counted: int, what: str) -> None:
    if segment.element(1) != str(counted):
        raise ProblemError(f"{segment.where(1)}: does not match the {counted} {what} counted")


def _split_loops(body: list[Segment]) -> _Transaction:
    bht: Segment | None = None
    loops: dict[str, _Loop] = {}
    current: _Loop | None = None
    for segment in body:
        if segment.tag == "HL":
            current = _Loop(segment)
            if segment.element(1) in loops:
                raise ProblemError(f"{segment.where(1)}: HL id is used twice")
            if segment.element(3) not in _LEVELS:
                raise ProblemError(f"{segment.where(3)}: unknown hierarchical level")
            loops[segment.element(1)] = current
        elif current is not None:
            current.segments.append(segment)
        elif segment.tag == "BHT":
            bht = segment
    return _Transaction(bht, loops)


@dataclass
class _Member:
    """What one subscriber or dependent loop says, before it becomes a result."""

    number: int  # HL segment number, for messages
    trace: str | None
    payer_id: str | None
    payer_name: str | None
    plan: str | None
    network: str | None
    status: EligibilityStatus
    status_reason: str | None
    as_of: dt.date | None
    periods: tuple[CoveragePeriod, ...]
    providers: set[str]
    table: BenefitTable
    rejections: list[Rejection]
    not_read: tuple[str, ...]

    def result(self, patient_id: str) -> EligibilityResult:
        try:
            return EligibilityResult(
                patient_id=patient_id,
                payer_id=self.payer_id,
                payer_name=self.payer_name,
                plan=self.plan,
                network=self.network,
                status=self.status,
                status_reason=self.status_reason,
                as_of=self.as_of,
                coverage_periods=self.periods,
                in_network_provider_ids=tuple(self.providers),
                benefits=self.table.build(),
                rejections=tuple(self.rejections),
                not_read=self.not_read,
            )
        except ValidationError as exc:
            raise ProblemError(
                "\n".join(describe_errors(exc, f"271 member loop at segment {self.number}"))
            ) from None


def read_271(
    source: str | os.PathLike[str] | bytes,
    patient_ids: Mapping[str, str] | None = None,
) -> list[EligibilityResult]:
    """One :class:`EligibilityResult` per subscriber or dependent of a 271 interchange.

    Parameters
    ----------
    source : str, path or bytes
        The interchange text (a ``str`` starting with ``ISA``), or a path to it.
    patient_ids : mapping of str to str, optional
        Trace number (TRN02, as sent in the 270) → the clinic's patient id.  Without it the
        trace number is the patient id.

    Returns
    -------
    list of EligibilityResult
        In file order.  Empty when the payer rejected the whole request (an AAA at the
        payer or receiver level and no member loop): use :func:`eligibility_from_271`.

    Raises
    ------
    ProblemError
        If the file is not a well-formed 271, or a member has no trace number (or one not
        in ``patient_ids``).
    """
    members, _ = _read(source)
    results = []
    for member in members:
        where = f"271 member loop at segment {member.number}"
        if member.trace is None:
            raise ProblemError(f"{where}: TRN02: no trace number to find the patient by")
        if patient_ids is None:
            patient_id = member.trace
        elif member.trace in patient_ids:
            patient_id = patient_ids[member.trace]
        else:
            raise ProblemError(f"{where}: TRN02: trace number is not in patient_ids")
        results.append(member.result(patient_id))
    logger.debug("271: read %d eligibility results", len(results))
    return results


def eligibility_from_271(
    source: str | os.PathLike[str] | bytes, patient_id: str
) -> EligibilityResult:
    """The :class:`EligibilityResult` of a 271 that answers for one patient.

    A 271 whose payer rejected the request before any member loop gives a REJECTED result
    with the payer's reasons.

    Raises
    ------
    ProblemError
        If the 271 is not well formed or has more than one member loop.
    """
    members, header = _read(source)
    if len(members) == 1:
        return members[0].result(patient_id)
    if not members and header.rejections:
        return EligibilityResult(
            patient_id=patient_id,
            payer_id=header.payer_id,
            payer_name=header.payer_name,
            status=EligibilityStatus.REJECTED,
            as_of=header.as_of,
            rejections=tuple(header.rejections),
        )
    raise ProblemError(f"271: expected one subscriber or dependent loop, found {len(members)}")


@dataclass
class _Header:
    """Payer and receiver facts that apply to the members below them."""

    payer_id: str | None = None
    payer_name: str | None = None
    as_of: dt.date | None = None
    rejections: list[Rejection] = field(default_factory=list)


def _read(source: str | os.PathLike[str] | bytes) -> tuple[list[_Member], _Header]:
    """The members of every transaction set, and the first set's payer-level facts."""
    _, segments = read_segments(_text(source))
    members: list[_Member] = []
    headers: list[_Header] = []
    for transaction in _transactions(segments):
        header = _Header(as_of=_bht_date(transaction.bht))
        headers.append(header)
        children = {loop.parent for loop in transaction.loops.values()}
        for hl_id, loop in transaction.loops.items():
            if loop.level in ("20", "21"):
                if loop.level == "20":
                    _payer(loop, header)
                header.rejections.extend(_rejections(loop.segments, _LEVELS[loop.level]))
            elif loop.level == "23" or hl_id not in children:
                members.append(_member(loop, transaction.loops, header))
    if not headers:
        raise ProblemError("271: the interchange holds no 271 transaction set")
    return members, headers[0]


def _text(source: str | os.PathLike[str] | bytes) -> str:
    if isinstance(source, bytes):
        return decode_text(source, "271")
    if isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith("ISA"):
        return source
    path = Path(source)
    return read_text(path, label=f"271 file {path.name}")


def _bht_date(bht: Segment | None) -> dt.date | None:
    return _date(bht, 4) if bht is not None and bht.element(4) else None


def _payer(loop: _Loop, header: _Header) -> None:
    for segment in loop.segments:
        if segment.tag == "NM1" and segment.element(1) == "PR":
            header.payer_name = segment.element(3) or None
            header.payer_id = segment.element(9) or None


def _rejections(segments: list[Segment], level: _Level) -> list[Rejection]:
    rejections = []
    for segment in segments:
        if segment.tag == "AAA":
            code = segment.element(3)
            if not code:
                raise ProblemError(f"{segment.where(3)}: no reject reason code")
            rejections.append(
                Rejection(
                    code=code,
                    description=REJECT_REASONS.get(code),
                    follow_up=segment.element(4) or None,
                    level=level,
                )
            )
    return rejections


def _member(loop: _Loop, loops: Mapping[str, _Loop], header: _Header) -> _Member:
    # The member's own segments first, then its subscriber's (for a dependent).
    chain = [loop]
    parent = loops.get(loop.parent)
    if loop.level == "23" and parent is not None and parent.level == "22":
        chain.append(parent)
    own = [_member_segments(item) for item in chain]
    benefit_groups = _benefit_groups(loop.segments)

    rejections = list(header.rejections)
    for item, segments in zip(chain, own, strict=True):
        rejections.extend(_rejections(segments, _LEVELS[item.level]))
    member_rejected = bool(rejections)
    table = BenefitTable()
    providers: set[str] = set()
    for group in benefit_groups:
        rejections.extend(_rejections(group[1:], "benefit"))
        _read_benefit(group, table, providers)
    status, reason = _status(benefit_groups, member_rejected)

    return _Member(
        number=loop.hl.number,
        trace=_first(own, _trace),
        payer_id=header.payer_id,
        payer_name=header.payer_name,
        plan=_plan(benefit_groups) or _first(own, lambda segments: _ref(segments, "18")),
        network=_first(own, lambda segments: _ref(segments, "N6", name=False)),
        status=status,
        status_reason=reason,
        as_of=_first(own, _service_date) or header.as_of,
        periods=_first(own, _periods) or _benefit_periods(benefit_groups),
        providers=providers,
        table=table,
        rejections=rejections,
        not_read=_not_read(benefit_groups),
    )


def _not_read(groups: list[list[Segment]]) -> tuple[str, ...]:
    """The EB01 codes the readers do not map, once each with the segments that use them."""
    unread: dict[str, list[int]] = {}
    for group in groups:
        eb = group[0]
        code = eb.element(1)
        entry = EB01_CODES.get(code)
        if entry is not None and entry.reads is not None:
            continue
        if entry is not None:
            what = f"EB01 {code} ({entry.name})"
        elif not code:
            what = "EB01: no code"
        elif _EB01_CODE.match(code):
            what = f"EB01 {code}: not an EB01 code"
        else:  # the sender's text, not a code: not quoted
            what = "EB01: not a code"
        unread.setdefault(what, []).append(eb.number)
    entries = []
    for what, numbers in unread.items():
        plural = "s" if len(numbers) > 1 else ""
        where = f"271 segment{plural} {', '.join(map(str, numbers))} (EB)"
        entries.append(f"{where}: {what}")
        logger.info("%s: %s; not read", where, what)
    return tuple(entries)


def _member_segments(loop: _Loop) -> list[Segment]:
    segments = []
    for segment in loop.segments:
        if segment.tag == "EB":
            break
        segments.append(segment)
    return segments


def _benefit_groups(segments: list[Segment]) -> list[list[Segment]]:
    groups: list[list[Segment]] = []
    for segment in segments:
        if segment.tag == "EB":
            groups.append([segment])
        elif groups:
            groups[-1].append(segment)
    return groups


def _first(items: list[list[Segment]], read: Callable[[list[Segment]], T | None]) -> T | None:
    for segments in items:
        found = read(segments)
        if found:
            return found
    return None


def _trace(segments: list[Segment]) -> str | None:
    traces = {s.element(1): s.element(2) for s in segments if s.tag == "TRN" and s.element(2)}
    return traces.get("2") or traces.get("1")


def _ref(segments: list[Segment], qualifier: str, *, name: bool = True) -> str | None:
    for segment in segments:
        if segment.tag == "REF" and segment.element(1) == qualifier:
            return (name and segment.element(3)) or segment.element(2) or None
    return None


def _plan(groups: list[list[Segment]]) -> str | None:
    status_ebs = [g[0] for g in groups if g[0].element(1) in _ACTIVE | _INACTIVE]
    for eb in sorted(status_ebs, key=lambda eb: PLAN_SERVICE_TYPE not in _service_types(eb)):
        if eb.element(5):
            return eb.element(5)
    return None


def _status(groups: list[list[Segment]], rejected: bool) -> tuple[EligibilityStatus, str | None]:
    """The member's status, and why it is UNKNOWN when it is."""
    if rejected:
        return EligibilityStatus.REJECTED, None
    codes = [g[0].element(1) for g in groups]
    plan_codes = [g[0].element(1) for g in groups if PLAN_SERVICE_TYPE in _service_types(g[0])]
    for candidates in (plan_codes, codes):
        if any(code in _ACTIVE for code in candidates):
            return EligibilityStatus.ACTIVE, None
        if any(code in _INACTIVE for code in candidates):
            return EligibilityStatus.INACTIVE, None
    return EligibilityStatus.UNKNOWN, "no EB segment says Active Coverage or Inactive (EB01 1-8)"


def _service_types(eb: Segment) -> list[str]:
    return eb.repeats(3) or [PLAN_SERVICE_TYPE]


def _service_date(segments: list[Segment]) -> dt.date | None:
    for segment in segments:
        if segment.tag == "DTP" and segment.element(1) == "472":
            return _dtp_range(segment)[0]
    return None


def _periods(segments: list[Segment]) -> tuple[CoveragePeriod, ...]:
    dates = {s.element(1): s for s in segments if s.tag == "DTP"}
    for begin, end, both in (_ELIGIBILITY_DATES, _PLAN_DATES):
        start: dt.date | None = None
        stop: dt.date | None = None
        if both in dates:
            # A single date (D8) here is when the coverage began; a range (RD8) is the period.
            start, last = _dtp_range(dates[both])
            stop = last if dates[both].element(2) == "RD8" else None
        if begin in dates:
            start = _dtp_range(dates[begin])[0]
        if end in dates:
            stop = _dtp_range(dates[end])[1]
        if start is not None or stop is not None:
            segment = dates.get(end) or dates.get(begin) or dates[both]
            return (_period(start, stop, segment),)
    return ()


def _period(start: dt.date | None, stop: dt.date | None, segment: Segment) -> CoveragePeriod:
    if start is not None and stop is not None and stop < start:
        raise ProblemError(f"{segment.where(3)}: coverage ends before it begins")
    return CoveragePeriod(start=start, end=stop)


def _benefit_periods(groups: list[list[Segment]]) -> tuple[CoveragePeriod, ...]:
    for group in groups:
        if group[0].element(1) in _ACTIVE | _INACTIVE:
            found = _periods(group[1:])
            if found:
                return found
    return ()


def _dtp_range(segment: Segment) -> tuple[dt.date, dt.date]:
    fmt = segment.element(2)
    if fmt == "D8":
        day = _date(segment, 3)
        return day, day
    if fmt == "RD8":
        first, _, last = segment.element(3).partition("-")
        return _parse_date(first, segment), _parse_date(last, segment)
    raise ProblemError(f"{segment.where(2)}: date format is not D8 or RD8")


def _date(segment: Segment, position: int) -> dt.date:
    return _parse_date(segment.element(position), segment, position)


def _parse_date(text: str, segment: Segment, position: int = 3) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ProblemError(f"{segment.where(position)}: not a date (CCYYMMDD)") from None


def _read_benefit(group: list[Segment], table: BenefitTable, providers: set[str]) -> None:
    eb = group[0]
    if eb.element(13):
        return  # a procedure-specific benefit, not a service type's
    code = eb.element(1)
    network = _NETWORK.get(eb.element(12))
    unit = _unit(eb.element(2))
    auth = _authorization(eb, group[1:])
    if network == "in":
        providers.update(_npis(group[1:]))
    entry = EB01_CODES.get(code)
    kind = entry.reads if entry is not None else None
    for service_type in _service_types(eb):
        if len(service_type) > 3:
            raise ProblemError(f"{eb.where(3)}: not a service type code")
        builder = table.get(service_type, network, unit)
        builder.set("prior_auth_required", auth)
        period = eb.element(6)
        if kind == "copay":
            builder.set("copay", _amount(eb, 7))
        elif kind == "coinsurance":
            builder.set("coinsurance", _percent(eb))
        elif kind in ("deductible", "oop"):
            amount = _amount(eb, 7)
            total, remaining = ("deductible", "deductible_remaining")
            if kind == "oop":
                total, remaining = ("oop_max", "oop_remaining")
            if period in _REMAINING:
                builder.set(remaining, amount)
            elif period in _USED:
                if kind == "deductible":
                    builder.deductible_used = builder.deductible_used or amount
                else:
                    builder.oop_used = builder.oop_used or amount
            else:
                builder.set(total, amount)


def _unit(level: str) -> Unit | None:
    if not level:
        return None
    return "individual" if level in _INDIVIDUAL else "family"


def _authorization(eb: Segment, rest: list[Segment]) -> bool | None:
    flag = eb.element(11)
    if flag in ("Y", "N"):
        return flag == "Y"
    for segment in rest:
        if segment.tag == "MSG":
            text = segment.element(1)
            if _AUTH_TEXT.search(text) and _AUTH_REQUIRED.search(text):
                return not _AUTH_NEGATED.search(text)
    return None


def _npis(segments: list[Segment]) -> set[str]:
    found: set[str] = set()
    inside = False
    for segment in segments:
        if segment.tag in ("LS", "LE"):
            inside = segment.tag == "LS"
        elif inside and segment.tag == "NM1" and segment.element(8) == "XX":
            npi = segment.element(9)
            if not re.fullmatch(r"\d{10}", npi):
                raise ProblemError(f"{segment.where(9)}: an NPI has 10 digits")
            found.add(npi)
    return found


def _amount(segment: Segment, position: int) -> Decimal | None:
    text = segment.element(position)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ProblemError(f"{segment.where(position)}: not an amount") from None
    if not value.is_finite() or value < 0:
        raise ProblemError(f"{segment.where(position)}: not a non-negative amount")
    return value


def _percent(segment: Segment) -> Decimal | None:
    value = _amount(segment, 8)
    if value is None:
        return None
    if value > 1:
        if value > 100:
            raise ProblemError(f"{segment.where(8)}: a percentage above 100")
        value = value / 100
    return value


__all__ = [
    "REJECT_REASONS",
    "Delimiters",
    "Segment",
    "eligibility_from_271",
    "read_271",
    "read_segments",
]
