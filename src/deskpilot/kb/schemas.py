"""API shapes of the kb area."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from deskpilot.assist.grounded import AnswerDecision
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.validation import DbId, InputModel

MAX_BODY = 100_000
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(min_length=1, max_length=120, pattern=SLUG_PATTERN)]
Tag = Annotated[str, Field(min_length=1, max_length=60, pattern=SLUG_PATTERN)]
# An ISO 639-1 code, optionally with a region or script: "en", "de", "pt-br", "zh-hans".
Language = Annotated[str, Field(min_length=2, max_length=16, pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")]
Title = Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S")]
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY, pattern=r"\S")]
Note = Annotated[str, Field(max_length=1000)]


class KbArticleCreate(InputModel):
    slug: Slug
    title: Title
    body: Body
    queue_id: DbId | None = None
    category: str | None = Field(default=None, max_length=120)
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    owner_id: DbId | None = None
    change_note: Note = ""
    language: Language = "en"
    translation_of: Slug | None = None


class KbVersionCreate(InputModel):
    """A new draft version; the title defaults to the article's current title."""

    body: Body
    title: Title | None = None
    change_note: Note = ""


class KbVersionUpdate(InputModel):
    """An edit of a version that is still a draft."""

    body: Body | None = None
    title: Title | None = None
    change_note: Note | None = None


class KbReview(InputModel):
    """Why a version goes back to draft, or why an article is retired."""

    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")


class KbApproval(InputModel):
    note: str | None = Field(default=None, max_length=2000)
    override_reason: str | None = Field(default=None, max_length=500, description=(
        "approve although the replay gate refuses (a lead's reason, audited)"))


class KbVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    article_id: int
    version: int
    title: str
    body: str
    status: KbVersionStatus
    change_note: str
    author_id: int | None
    author_name: str
    reviewer_id: int | None
    reviewer_name: str | None
    review_note: str | None
    source_ticket_id: int | None
    created_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    retired_at: datetime | None


class KbVersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    title: str
    status: KbVersionStatus
    author_name: str
    created_at: datetime


class KbArticleRead(BaseModel):
    """An article with the version the reader should see: the approved one, else (staff) the latest."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    slug: str
    title: str
    queue_id: int | None
    category: str | None
    tags: list[str]
    owner_id: int | None
    language: str = "en"
    translation_of: str | None = None
    status: KbArticleStatus
    approved_version: int | None
    created_at: datetime
    updated_at: datetime
    current: KbVersionRead | None = None


class KbArticlePage(BaseModel):
    items: list[KbArticleRead]
    total: int
    offset: int
    limit: int


class KbDiff(BaseModel):
    article_id: int
    slug: str
    from_version: int
    to_version: int
    diff: str


# Limits of one import upload; going over one answers 413 before any file is parsed.
MAX_IMPORT_FILES = 200
MAX_IMPORT_FILE_CHARS = 1_000_000
MAX_IMPORT_BYTES = 16_000_000


class KbImportFile(InputModel):
    filename: str = Field(min_length=1, max_length=255)
    content: str = Field(description=f"At most {MAX_IMPORT_FILE_CHARS:,} characters, or the import is refused "
                                     "with 413. A .pdf file's bytes are sent base64-encoded.")
    encoding: Literal["text", "base64"] = Field(
        "text", description="`base64` for binary files (PDF); `text` for Markdown, HTML and CSV.")


class KbImportRequest(InputModel):
    files: list[KbImportFile] = Field(min_length=1, description=f"At most {MAX_IMPORT_FILES} files and "
                                      f"{MAX_IMPORT_BYTES:,} bytes of JSON in all, or the import is refused with 413.")
    approve: bool = False


class KbImportResult(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]


class KbGapRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    question: str
    confidence: float
    asked_at: datetime


class KbGapCluster(BaseModel):
    """Similar unanswered questions: one article to write."""

    label: str
    size: int
    questions: list[KbGapRead]


class AnswerRequest(InputModel):
    question: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    context: str = Field(default="", max_length=20_000,
                         description="earlier turns, newest first, as `user:…` / `agent:…` parts joined by ` || `")


class AnswerSentenceRead(BaseModel):
    text: str
    citation: str
    slug: str
    version: int


class AnswerSourceRead(BaseModel):
    citation: str
    slug: str
    version: int
    title: str
    url: str


class AnswerRead(BaseModel):
    """Every sentence cites an approved article version; `abstained` means a person takes over."""

    text: str
    sentences: list[AnswerSentenceRead]
    confidence: float
    abstained: bool
    rephrased: bool
    sources: list[AnswerSourceRead]
    decision_id: int
    decision: AnswerDecision = AnswerDecision.ANSWER
    answer_probability: float | None = None
