"""Shared pydantic configuration for every domain record."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

#: Identifiers: non-empty, no surrounding whitespace, at most 64 characters.
Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=1, max_length=64, pattern=r"^\S(.*\S)?$"),
]


class DomainModel(BaseModel):
    """Base of every domain record: immutable, strict about unknown fields."""

    # No NaN or infinity in any number: a limit of "inf" is a typo, never a wish.
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )
