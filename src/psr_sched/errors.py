"""Errors raised for bad input, with messages that name the record and the field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

#: Top-level list fields of a problem and the word used for one of their records.
_RECORD_WORDS = {
    "providers": ("provider", "id"),
    "rooms": ("room", "id"),
    "visit_types": ("visit type", "code"),
    "requests": ("request", "id"),
    "pinned": ("pinned appointment", "request_id"),
}


class ProblemError(ValueError):
    """A problem (or a file describing one) is not valid.

    The message names the record and the field at fault and never contains patient data.
    """


def describe_validation_error(exc: ValidationError, data: Any = None, limit: int = 5) -> str:
    """Turn a pydantic ``ValidationError`` into lines such as ``request R17: latest: ...``.

    Input values are never echoed, so no patient data reaches the message.
    """
    lines = []
    for error in exc.errors(include_url=False, include_input=False)[:limit]:
        lines.append(_describe_one(error["loc"], error["msg"], data))
    more = exc.error_count() - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return "\n".join(lines)


def _describe_one(loc: tuple[Any, ...], msg: str, data: Any) -> str:
    msg = msg.removeprefix("Value error, ")
    if len(loc) >= 2 and loc[0] in _RECORD_WORDS and isinstance(loc[1], int):
        word, key = _RECORD_WORDS[loc[0]]
        record_id = _record_key(data, loc[0], loc[1], key)
        name = f"{word} {record_id}" if record_id else f"{word} #{loc[1] + 1}"
        field = ".".join(str(part) for part in loc[2:])
        return f"{name}: {field}: {msg}" if field else f"{name}: {msg}"
    field = ".".join(str(part) for part in loc)
    return f"{field}: {msg}" if field else msg


def _record_key(data: Any, section: str, index: int, key: str) -> str | None:
    try:
        value = data[section][index][key]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, str) and len(value) <= 64 else None
