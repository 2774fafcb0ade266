"""API shapes of the desk's taxonomy: categories with a description, example requests and a default queue,
and the numbered versions every edit makes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deskpilot.triage.models import Criticality
from deskpilot.validation import DbId, InputModel

MAX_EXAMPLES = 30
Example = Annotated[str, Field(max_length=300)]


def _clean_examples(examples: list[str] | None) -> list[str] | None:
    if examples is None:
        return None
    cleaned = [" ".join(e.split()) for e in examples]
    return list(dict.fromkeys(e for e in cleaned if e))


class CategoryCreate(InputModel):
    name: str = Field(min_length=1, max_length=120, pattern=r"\S")
    description: str = Field(default="", max_length=500)
    examples: list[Example] = Field(default_factory=list, max_length=MAX_EXAMPLES,
                                description="requests in a requester's words that belong in this category")
    default_queue_id: DbId | None = None
    criticality: Criticality = Field(default=Criticality.STANDARD,
                                     description="how much the business depends on this service: standard, high "
                                                 "(impact at least medium) or critical (impact one level higher)")

    @field_validator("examples")
    @classmethod
    def _examples(cls, value: list[str]) -> list[str]:
        return _clean_examples(value) or []


class CategoryUpdate(InputModel):
    description: str | None = Field(default=None, max_length=500)
    examples: list[Example] | None = Field(default=None, max_length=MAX_EXAMPLES)
    default_queue_id: DbId | None = None
    active: bool | None = None
    criticality: Criticality | None = None

    @field_validator("examples")
    @classmethod
    def _examples(cls, value: list[str] | None) -> list[str] | None:
        return _clean_examples(value)


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    examples: list[str]
    default_queue_id: int | None
    active: bool
    criticality: Criticality


class TaxonomyVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    created_at: datetime
    created_by_name: str
    change: str
    categories: list[dict[str, Any]]
