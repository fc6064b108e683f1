"""Fee schedule: per visit type (and CPT code) the charge, self-pay price and allowed amounts.

The clinic's *charge* is its list price for a service.  Each payer pays against its own
*allowed amount* (the contracted price); patient responsibility is computed on the allowed
amount, never on the charge.  A patient without coverage pays the *self-pay* price, or the
charge when the schedule has none.

The CSV file has one row per visit type and CPT code and these columns (order free):

``visit_type`` (required)
    Code of a :class:`~psr_sched.domain.VisitType`, e.g. ``NEW``.
``cpt_code`` (optional)
    CPT or HCPCS code, five capital letters or digits, e.g. ``99213``.  A visit type may have
    several rows with different codes; a row with an empty code is the visit type's default,
    used when a lookup names no code.
``description`` (optional)
    Free text.
``charge`` (required)
    The clinic's charge.
``self_pay`` (optional)
    Price for a patient without coverage; empty means the charge.
``default_allowed`` (optional)
    Allowed amount for a payer that has no column (or an empty cell) on this row.
``allowed_<PAYER>`` (any number)
    Allowed amount of payer ``<PAYER>``, e.g. ``allowed_MEDICARE``.

Amounts are written as ``1234.50`` or ``"$1,234.50"``, in whole cents; allowed amounts and
the self-pay price may not exceed the charge.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError, model_validator

from psr_sched.billing.errors import BillingError
from psr_sched.domain import DomainModel, Identifier
from psr_sched.domain.money import NonNegativeMoney, format_money, to_money
from psr_sched.io.text import read_text

#: A CPT (``99213``, ``0001F``) or HCPCS level II (``G0439``) code.
CptCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{5}$")]

#: Prefix of the per-payer allowed-amount columns of a fee schedule CSV.
ALLOWED_PREFIX = "allowed_"
_COLUMNS = ("visit_type", "cpt_code", "description", "charge", "self_pay", "default_allowed")
_REQUIRED = ("visit_type", "charge")
_MONEY_COLUMNS = ("charge", "self_pay", "default_allowed")
_MAX_ERRORS = 5


class FeeEntry(DomainModel):
    """One row of a fee schedule.

    Parameters
    ----------
    visit_type : str
        Visit type code.
    cpt_code : str or None
        CPT or HCPCS code; ``None`` marks the visit type's default row.
    description : str
        Free text.
    charge : Decimal
        The clinic's charge.
    self_pay : Decimal or None
        Price for a patient without coverage; ``None`` means the charge.
    default_allowed : Decimal or None
        Allowed amount for a payer missing from ``allowed``.
    allowed : dict of str to Decimal
        Allowed amount per payer.
    """

    visit_type: Identifier
    cpt_code: CptCode | None = None
    description: str = ""
    charge: NonNegativeMoney
    self_pay: NonNegativeMoney | None = None
    default_allowed: NonNegativeMoney | None = None
    allowed: dict[Identifier, NonNegativeMoney] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _within_charge(self) -> FeeEntry:
        above = [
            column
            for column, amount in (
                ("self_pay", self.self_pay),
                ("default_allowed", self.default_allowed),
                *((f"{ALLOWED_PREFIX}{payer}", amount) for payer, amount in self.allowed.items()),
            )
            if amount is not None and amount > self.charge
        ]
        if above:
            raise ValueError(f"{', '.join(above)}: above the charge of {format_money(self.charge)}")
        return self

    @property
    def label(self) -> str:
        """``visit type NEW`` or ``visit type NEW (CPT 99203)``, for messages."""
        cpt = "" if self.cpt_code is None else f" (CPT {self.cpt_code})"
        return f"visit type {self.visit_type}{cpt}"

    @property
    def self_pay_price(self) -> Decimal:
        """What a patient without coverage pays: ``self_pay``, or else the charge."""
        return self.charge if self.self_pay is None else self.self_pay

    def allowed_for(self, payer: str) -> Decimal:
        """The allowed amount of ``payer``, falling back on ``default_allowed``.

        Raises
        ------
        BillingError
            If the payer has no amount and the row has no default.
        """
        amount = self.allowed.get(payer, self.default_allowed)
        if amount is None:
            raise BillingError(
                f"fee schedule: {self.label}: no allowed amount for payer {payer!r} "
                "and no default_allowed"
            )
        return amount


class FeeSchedule(DomainModel):
    """A clinic's fee schedule: :class:`FeeEntry` rows, unique by visit type and CPT code.

    Parameters
    ----------
    entries : tuple of FeeEntry
        The rows.
    """

    entries: tuple[FeeEntry, ...]

    @model_validator(mode="after")
    def _unique_keys(self) -> FeeSchedule:
        seen: set[tuple[str, str | None]] = set()
        for entry in self.entries:
            key = (entry.visit_type, entry.cpt_code)
            if key in seen:
                raise ValueError(f"{entry.label}: listed more than once")
            seen.add(key)
        return self

    @cached_property
    def _by_visit_type(self) -> dict[str, dict[str | None, FeeEntry]]:
        index: dict[str, dict[str | None, FeeEntry]] = defaultdict(dict)
        for entry in self.entries:
            index[entry.visit_type][entry.cpt_code] = entry
        return dict(index)

    @property
    def payers(self) -> tuple[str, ...]:
        """Payers with an allowed amount on at least one row, sorted."""
        return tuple(sorted({payer for entry in self.entries for payer in entry.allowed}))

    def entry(self, visit_type: str, cpt_code: str | None = None) -> FeeEntry:
        """The row of a visit type and CPT code.

        Without ``cpt_code``: the visit type's default row (empty CPT code) if it has one,
        otherwise its only row.

        Raises
        ------
        BillingError
            For an unknown visit type or CPT code, or a visit type with several CPT codes,
            no default row and no ``cpt_code`` given.
        """
        rows = self._by_visit_type.get(visit_type)
        if rows is None:
            raise BillingError(f"fee schedule: visit type {visit_type!r} is not in the schedule")
        if cpt_code is not None:
            if cpt_code not in rows:
                raise BillingError(
                    f"fee schedule: visit type {visit_type!r} has no row for CPT code {cpt_code!r}"
                )
            return rows[cpt_code]
        if None in rows:
            return rows[None]
        if len(rows) == 1:
            return next(iter(rows.values()))
        codes = ", ".join(sorted(code for code in rows if code is not None))
        raise BillingError(
            f"fee schedule: visit type {visit_type!r} has several CPT codes ({codes}) and no "
            "default row (one with an empty cpt_code); name the CPT code"
        )

    def charge(self, visit_type: str, cpt_code: str | None = None) -> Decimal:
        """The clinic's charge for a visit type (see :meth:`entry`)."""
        return self.entry(visit_type, cpt_code).charge

    def allowed(self, visit_type: str, payer: str, cpt_code: str | None = None) -> Decimal:
        """The allowed amount of ``payer`` for a visit type (see :meth:`FeeEntry.allowed_for`)."""
        return self.entry(visit_type, cpt_code).allowed_for(payer)

    def self_pay_price(self, visit_type: str, cpt_code: str | None = None) -> Decimal:
        """What a patient without coverage pays for a visit type."""
        return self.entry(visit_type, cpt_code).self_pay_price

    def __repr__(self) -> str:
        return f"FeeSchedule(entries={len(self.entries)}, payers={len(self.payers)})"


def read_fee_schedule_csv(path: str | Path) -> FeeSchedule:
    """Read a fee schedule CSV file (format in the module docstring).

    Parameters
    ----------
    path : str or Path
        A UTF-8 CSV file (a byte-order mark is allowed).

    Returns
    -------
    FeeSchedule

    Raises
    ------
    BillingError
        If the file cannot be read or is not valid; the message names the file, the line,
        the visit type and the column of each fault (up to five).
    """
    path = Path(path)
    text = read_text(path, error=BillingError)
    return parse_fee_schedule_csv(text, source=path.name)


def parse_fee_schedule_csv(text: str, source: str = "fee schedule") -> FeeSchedule:
    """Parse fee schedule CSV text; ``source`` names it in error messages.

    See :func:`read_fee_schedule_csv`.
    """
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise BillingError(
            f"{source}: no header row; expected columns {', '.join(_REQUIRED)} and others"
        )
    columns = [cell.strip() for cell in header]
    _check_header(columns, source)
    errors: list[str] = []
    entries: list[FeeEntry] = []
    first_line: dict[tuple[str, str | None], int] = {}
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"{source} line {rows.line_num}: malformed CSV: {exc}")
            break
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            errors.append(
                f"{source} line {line}: has {len(row)} cells, the header has {len(columns)}"
            )
            continue
        entry = _parse_row(dict(zip(columns, row, strict=True)), f"{source} line {line}", errors)
        if entry is None:
            continue
        key = (entry.visit_type, entry.cpt_code)
        if key in first_line:
            errors.append(
                f"{source} line {line} ({entry.label}): the same visit type and CPT code "
                f"as line {first_line[key]}"
            )
            continue
        first_line[key] = line
        entries.append(entry)
    if not errors and not entries:
        errors.append(f"{source}: no fee rows below the header")
    if errors:
        more = len(errors) - _MAX_ERRORS
        lines = errors[:_MAX_ERRORS] + ([f"... and {more} more"] if more > 0 else [])
        raise BillingError("\n".join(lines))
    return FeeSchedule(entries=tuple(entries))


def _check_header(columns: list[str], source: str) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            problems.append(f"column {column!r} appears more than once")
        seen.add(column)
        if column in _COLUMNS:
            continue
        payer = column.removeprefix(ALLOWED_PREFIX)
        if not column.startswith(ALLOWED_PREFIX) or not payer or any(c.isspace() for c in payer):
            problems.append(
                f"column {column!r} is unknown (expected {', '.join(_COLUMNS)} "
                f"or {ALLOWED_PREFIX}<PAYER>)"
            )
    problems.extend(f"column {c!r} is missing" for c in _REQUIRED if c not in seen)
    if problems:
        raise BillingError("\n".join(f"{source} header: {p}" for p in problems[:_MAX_ERRORS]))


def _parse_row(cells: dict[str, str], where: str, errors: list[str]) -> FeeEntry | None:
    """Build one entry, or add its faults to ``errors`` and return ``None``."""
    visit_type = cells["visit_type"].strip()
    if visit_type:
        where = f"{where} (visit type {visit_type})"
    faults: list[str] = []
    data: dict[str, Any] = {
        "visit_type": visit_type,
        "cpt_code": cells.get("cpt_code", "").strip() or None,
        "description": cells.get("description", "").strip(),
    }
    allowed: dict[str, Decimal] = {}
    for column, cell in cells.items():
        is_money = column in _MONEY_COLUMNS or column.startswith(ALLOWED_PREFIX)
        if not is_money:
            continue
        if not cell.strip():
            if column == "charge":
                faults.append(f"{column}: is empty")
            continue
        try:
            amount = to_money(cell)
        except ValueError as exc:
            faults.append(f"{column}: {exc}")
            continue
        if amount < 0:
            faults.append(f"{column}: must not be negative")
        elif column.startswith(ALLOWED_PREFIX):
            allowed[column.removeprefix(ALLOWED_PREFIX)] = amount
        else:
            data[column] = amount
    if not visit_type:
        faults.append("visit_type: is empty")
    if faults:
        errors.extend(f"{where}: {fault}" for fault in faults)
        return None
    data["allowed"] = allowed
    try:
        return FeeEntry.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            errors.append(f"{where}: {_column_of(error['loc'])}{_message_of(error['msg'])}")
        return None


def _column_of(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return ""
    if loc[0] == "allowed" and len(loc) > 1:
        return f"{ALLOWED_PREFIX}{loc[1]}: "
    return f"{loc[0]}: "


def _message_of(msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    if msg.startswith("String should match pattern"):
        return "must be five capital letters or digits, such as 99213 or G0439"
    return msg
