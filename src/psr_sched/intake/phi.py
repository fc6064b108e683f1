"""Keep protected health information out of reprs, dumps, log lines and error messages.

:class:`PHI` wraps one value (a name, a birth date, a member id, an address, a phone
number).  Its ``repr`` and ``str`` are a mask; :meth:`PHI.reveal` returns the value.  Used as
a pydantic field type it validates (and normalizes) the wrapped type and dumps as:

* the wrapper itself with ``model_dump()`` (so printing the dict shows the mask);
* ``"***"`` with ``model_dump(mode="json")`` and ``model_dump_json()``;
* the plain value when the dump's context asks for it:
  ``model_dump(mode="json", context={"reveal_phi": True})``, e.g. to write a registration file
  back out.

:func:`describe_errors` turns a pydantic ``ValidationError`` into lines that name the record
and the field and never echo the input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Generic, TypeVar, get_args

from pydantic import (
    GetCoreSchemaHandler,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
)
from pydantic_core import ErrorDetails, core_schema

T = TypeVar("T")

#: What a masked value shows.
MASK = "***"
#: Dump-context key that reveals PHI: ``model_dump(context={REVEAL_PHI: True})``.
REVEAL_PHI = "reveal_phi"

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")


class PHI(Generic[T]):
    """A value that is protected health information; it shows only as ``***``.

    Parameters
    ----------
    value
        The protected value.

    Examples
    --------
    >>> phone = PHI("+12175550142")
    >>> phone
    PHI(***)
    >>> phone.reveal()
    '+12175550142'
    """

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        """The protected value; keep it out of logs and messages."""
        return self._value

    def __repr__(self) -> str:
        return f"PHI({MASK})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PHI) and bool(self._value == other._value)

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        args = get_args(source)
        inner = handler.generate_schema(args[0] if args else Any)

        def serialize(
            value: PHI[Any],
            inner_serializer: SerializerFunctionWrapHandler,
            info: SerializationInfo,
        ) -> Any:
            context = info.context
            if isinstance(context, Mapping) and context.get(REVEAL_PHI) is True:
                return inner_serializer(value.reveal())
            return MASK if info.mode_is_json() else value

        return core_schema.no_info_before_validator_function(
            _unwrap,
            core_schema.no_info_after_validator_function(cls, inner),
            serialization=core_schema.wrap_serializer_function_ser_schema(
                serialize, info_arg=True, schema=inner
            ),
        )


def _unwrap(value: Any) -> Any:
    return value.reveal() if isinstance(value, PHI) else value


def reveal(value: PHI[T] | None) -> T | None:
    """The protected value of an optional PHI field, or ``None``."""
    return None if value is None else value.reveal()


def describe_errors(exc: ValidationError, record: str) -> list[str]:
    """One line per error, ``"<record>: <field>: <message>"``, never echoing the input.

    pydantic's messages seldom contain the input; when one does (a validator somewhere
    quoting its value), the line falls back to the error type.
    """
    return [
        describe_error(error, record)
        for error in exc.errors(include_url=False, include_context=False)
    ]


def describe_error(error: ErrorDetails, record: str) -> str:
    """One error of :meth:`ValidationError.errors` as :func:`describe_errors` words it."""
    field = error_location(error)
    message = error["msg"].removeprefix("Value error, ")
    if _echoes(message, error.get("input")):
        message = f"invalid value ({error['type']})"
    return f"{record}: {field}: {message}" if field else f"{record}: {message}"


def error_location(error: ErrorDetails) -> str:
    """The dotted location of an error (``"insurance.0.inforce"``), safe to show.

    An unknown key (``extra_forbidden``) is the sender's text, so one that is not a plain
    name shows as ``<unknown field>``.
    """
    return ".".join(_safe_loc_part(part, error["type"]) for part in error["loc"])


def _safe_loc_part(part: str | int, error_type: str) -> str:
    # Field names are ours; an unknown key is the caller's text and could be anything.
    if isinstance(part, int) or error_type != "extra_forbidden" or _PLAIN_KEY.match(part):
        return str(part)
    return "<unknown field>"


def _echoes(message: str, value: Any) -> bool:
    if isinstance(value, PHI):
        value = value.reveal()
    if isinstance(value, Mapping):
        return any(_echoes(message, item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_echoes(message, item) for item in value)
    if value is None or isinstance(value, bool):
        return False
    text = str(value)
    return len(text) >= 3 and text in message


__all__ = [
    "MASK",
    "PHI",
    "REVEAL_PHI",
    "describe_error",
    "describe_errors",
    "error_location",
    "reveal",
]
