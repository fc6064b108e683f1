"""Money as ``decimal.Decimal`` in whole cents: parsing, checking, formatting, one rounding rule.

Amounts are never binary floats: a ``float`` can not hold most cent values exactly
(``0.1 + 0.2 != 0.3``), so every entry point rejects one with a clear error and asks for a
``Decimal``, an ``int`` or a string such as ``"1234.50"`` or ``"$1,234.50"``.

Every amount that enters the package is whole cents; an input with a fraction of a cent is
an error, never silently rounded.  Amounts come back with exactly two decimal places
(``Decimal("12.50")``, never ``Decimal("12.5")``), so ``str(amount)`` and a CSV cell show
exact cents.

The rounding rule
-----------------
There is one: **round half up to whole cents**,
``value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)`` (:func:`round_cents`), applied
once to each computed component that can fall between cents, and nowhere else.  In this
package that is exactly one place: the **coinsurance** of an estimate, the coinsurance rate
times the part of the allowed amount left after copay and deductible,
``round_cents(remainder * rate)`` (12.5% of $0.04 is $0.005, which becomes $0.01).

Every other figure (copay, deductible applied, the out-of-pocket cap, the plan's share,
ledger balances and aging buckets) is a sum, difference or minimum of whole-cent amounts and
is exact without rounding.  Components are rounded before they are added, never the total,
so the components always add up to the patient's amount.  (``ROUND_HALF_UP`` rounds ties
away from zero; estimates are never negative, so for them it is plain half up.)
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from numbers import Integral
from typing import Annotated

from pydantic import BeforeValidator

#: One cent: the quantum of every amount.
CENT = Decimal("0.01")
#: Zero dollars, with two decimal places.
ZERO = Decimal("0.00")
#: The largest amount accepted, in either sign: keeps every sum inside ``Decimal``'s precision.
MAX_AMOUNT = Decimal("999999999999.99")

_FLOAT_MESSAGE = (
    "a float is not accepted for money (binary floats cannot hold cents exactly); "
    "pass a Decimal, an int or a string such as '1234.50'"
)
_AMOUNT_TEXT = re.compile(
    r"^(?P<sign>-)?\$?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<fraction>\d+))?$"
)


def round_cents(value: Decimal) -> Decimal:
    """Round ``value`` half up to whole cents: the package's one rounding rule.

    Parameters
    ----------
    value : Decimal
        Any finite amount, such as a coinsurance product ``Decimal("60.125")``.

    Returns
    -------
    Decimal
        The amount with two decimal places: ``Decimal("60.13")``.  Zero is never negative.

    Raises
    ------
    TypeError
        If ``value`` is not a ``Decimal`` (a float above all).
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"round_cents takes a Decimal, not a {type(value).__name__}")
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return ZERO if rounded.is_zero() else rounded


def to_money(value: object) -> Decimal:
    """Check and convert an amount: a ``Decimal``, an ``int`` or a money string.

    Parameters
    ----------
    value : Decimal, int or str
        ``Decimal("12.5")``, ``12``, ``"12.50"``, ``"$1,234.50"`` or ``"-$5"``.

    Returns
    -------
    Decimal
        The same amount with exactly two decimal places.

    Raises
    ------
    ValueError
        For a float (or a bool, or any other type), text that is not an amount, a value that
        is not finite, a fraction of a cent, or an amount beyond :data:`MAX_AMOUNT`.  The
        message never repeats the value, which may be a patient's balance.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, float):
        raise ValueError(_FLOAT_MESSAGE)
    if isinstance(value, str):
        return parse_money(value)
    if isinstance(value, Decimal):
        return _whole_cents(value)
    if isinstance(value, Integral):
        return _whole_cents(Decimal(int(value)))
    raise ValueError(
        f"a {type(value).__name__} is not an amount; pass a Decimal, an int or a string "
        "such as '1234.50'"
    )


def parse_money(text: str) -> Decimal:
    """Parse a money string such as ``"$1,234.50"``, ``"1234.5"``, ``"-$5"`` or ``".99"``.

    Surrounding whitespace, one leading ``-``, one ``$`` and thousands separators (in groups
    of three) are allowed.

    Parameters
    ----------
    text : str
        The amount as written.

    Returns
    -------
    Decimal
        The amount with exactly two decimal places.

    Raises
    ------
    ValueError
        For text that is not an amount, or has a fraction of a cent (``"1.005"``).
    """
    match = _AMOUNT_TEXT.match(text.strip())
    if match is None or (match["whole"] is None and match["fraction"] is None):
        raise ValueError("not an amount (expected a number such as 1234.50 or $1,234.50)")
    whole = (match["whole"] or "0").replace(",", "")
    fraction = match["fraction"] or "0"
    amount = Decimal(f"{match['sign'] or ''}{whole}.{fraction}")
    return _whole_cents(amount)


def _whole_cents(amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise ValueError("an amount must be a finite number")
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"an amount must not exceed {format_money(MAX_AMOUNT)}")
    try:
        cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # pragma: no cover - excluded by the bound above
        raise ValueError("not an amount") from None
    if cents != amount:
        raise ValueError("an amount must be whole cents (it has a fraction of a cent)")
    return ZERO if cents.is_zero() else cents


def to_rate(value: object) -> Decimal:
    """Check and convert a rate such as a coinsurance: a fraction from 0 to 1.

    Parameters
    ----------
    value : Decimal, int or str
        ``Decimal("0.2")``, ``0``, ``1``, ``"0.2"`` or ``"20%"``.

    Returns
    -------
    Decimal
        The fraction, ``Decimal("0.2")`` for 20%.

    Raises
    ------
    ValueError
        For a float (or another type), text that is not a number, or a rate outside 0..1.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a rate")
    if isinstance(value, float):
        raise ValueError(
            "a float is not accepted for a rate; pass a Decimal or a string such as '0.2' or '20%'"
        )
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        try:
            rate = Decimal(text.removesuffix("%").strip())
        except InvalidOperation:
            raise ValueError("not a rate (expected a fraction such as 0.2, or 20%)") from None
        if percent:
            rate = rate.scaleb(-2)
    elif isinstance(value, Decimal):
        rate = value
    elif isinstance(value, Integral):
        rate = Decimal(int(value))
    else:
        raise ValueError(f"a {type(value).__name__} is not a rate")
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
        raise ValueError("a rate must be a fraction from 0 to 1 (0% to 100%)")
    return rate


def format_money(amount: Decimal) -> str:
    """Write an amount the way it is read aloud: ``"$1,234.50"``, ``"-$5.00"``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def format_rate(rate: Decimal) -> str:
    """Write a fraction as a percentage: ``Decimal("0.2")`` → ``"20%"``, 0.125 → ``"12.5%"``."""
    percent = (rate * 100).normalize()
    return f"{percent:f}%"


def _non_negative_money(value: object) -> Decimal:
    amount = to_money(value)
    if amount < 0:
        raise ValueError("an amount here must not be negative")
    return amount


#: A pydantic field type: an amount in whole cents, of either sign; floats are rejected.
Money = Annotated[Decimal, BeforeValidator(to_money)]
#: A pydantic field type: an amount in whole cents, zero or more; floats are rejected.
NonNegativeMoney = Annotated[Decimal, BeforeValidator(_non_negative_money)]
#: A pydantic field type: a fraction from 0 to 1 (``"20%"`` accepted); floats are rejected.
Rate = Annotated[Decimal, BeforeValidator(to_rate)]
