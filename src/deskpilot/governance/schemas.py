"""API shapes of governance: the AI switches, the answer review queue, KB change sets and the settings gate."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from deskpilot.governance.enums import AiMode, Capability, ReviewKind, Verdict
from deskpilot.validation import InputModel


class AiSwitchUpdate(BaseModel):
    capability: Capability
    mode: AiMode
    scope: str = Field(default="*", max_length=140, description="'*', 'channel:<name>' or 'queue:<name>'")
    reason: str = Field(default="", max_length=500)


class AiSwitchRead(BaseModel):
    capability: Capability
    scope: str
    mode: AiMode
    reason: str
    changed_by: str
    changed_at: datetime


class ReviewSampleRequest(InputModel):
    days: int = Field(default=7, ge=1, le=365, description="sample from the AI outputs of the last N days")
    per_stratum: int = Field(default=3, ge=1, le=100, description="items per kind × intent × confidence band")
    kinds: list[ReviewKind] = Field(default_factory=lambda: list(ReviewKind), max_length=3)


class AiReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: ReviewKind
    item_ref: int
    intent: str
    confidence: float | None
    question: str
    output: str
    article: str | None
    sampled_at: datetime
    sampled_by: str
    verdict: Verdict | None
    note: str
    reviewer_name: str | None
    reviewed_at: datetime | None


class ReviewSampleRead(BaseModel):
    added: list[AiReviewRead]
    strata: int


class VerdictCreate(InputModel):
    verdict: Verdict
    note: str = Field(default="", max_length=1000, description="required when wrong or unsafe")


class VersionRef(InputModel):
    article_id: int = Field(ge=1, le=2_147_483_647)
    version: int = Field(ge=1, le=2_147_483_647)


class KbChangeSetCreate(InputModel):
    versions: list[VersionRef] = Field(min_length=1, max_length=200, description="article versions in review")
    note: str | None = Field(default=None, max_length=2000)
    override_reason: str | None = Field(default=None, max_length=500, description=(
        "approve although the replay gate refuses (a lead's reason, audited)"))


class KbChangeSetItem(BaseModel):
    article_id: int
    slug: str
    version: int
    previous: int | None


class KbChangeSetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    items: list[KbChangeSetItem]
    replay_run_id: int | None
    override_reason: str | None
    approved_by: str
    approved_at: datetime
    rolled_back_by: str | None
    rolled_back_at: datetime | None


class RollbackRequest(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class SettingsGateRequest(InputModel):
    overrides: dict[str, str | float | bool | None] = Field(min_length=1, max_length=20, description=(
        "setting name → candidate value (answer_abstain_below, answer_confident_above, answer_rerank are replayed)"))


class SettingsGateRead(BaseModel):
    passed: bool
    replayed: bool
    regressions: list[str]
    run_id: int | None
    reason: str
