"""The base of every input schema: text a database cannot store is refused with a clear message."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class InputModel(BaseModel):
    """Forbids unknown fields and NUL characters (PostgreSQL cannot store them in text)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL (\\x00) characters")
        return data


DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]
"""A row id: positive and within PostgreSQL's integer range."""
