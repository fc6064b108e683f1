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

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
