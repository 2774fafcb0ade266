"""The knowledge-base pages' shared parts: who may open them, and the article editor's form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from pydantic import ValidationError

from deskpilot.accounts.permissions import Permission, has
from deskpilot.kb.access import sees_unpublished
from deskpilot.kb.importer import slugify
from deskpilot.kb.schemas import KbArticleCreate, KbVersionCreate, KbVersionUpdate
from deskpilot.validation import InputModel
from deskpilot.web.admin_forms import field_errors
from deskpilot.web.viewer import PageGuard, Viewer

KB_PATH = "/kb"
NOT_KB_STAFF = ("The knowledge-base workspace is for the people who write, approve and audit articles. "
                "Approved articles are answered from in the assistant (Ask the assistant).")


# Writers, approvers and auditors (the API's rule for drafts).
KB_STAFF = PageGuard(sees_unpublished, NOT_KB_STAFF)
KbViewer = Annotated[Viewer, Depends(KB_STAFF.page)]
KbFormViewer = Annotated[Viewer, Depends(KB_STAFF.form)]


def can_edit(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.KB_EDIT)


def can_approve(viewer: Viewer) -> bool:
    return has(viewer.principal, Permission.KB_APPROVE)


@dataclass
class ArticleForm:
    """The editor as typed: a new article (slug, category) or a version of one (title, body, change note)."""

    title: str = ""
    body: str = ""
    change_note: str = ""
    slug: str = ""
    category: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def _validated(self, schema: type[InputModel], values: dict[str, object]) -> InputModel | None:
        try:
            return schema.model_validate(values)
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None

    def to_article(self) -> KbArticleCreate | None:
        """A new article; a blank slug is made from the title."""
        slug = self.slug.strip() or slugify(self.title)
        data = self._validated(KbArticleCreate, {
            "slug": slug, "title": self.title.strip(), "body": self.body, "category": self.category.strip() or None,
            "change_note": self.change_note.strip()})
        return data if isinstance(data, KbArticleCreate) else None

    def to_version(self) -> KbVersionCreate | None:
        data = self._validated(KbVersionCreate, self._version_values())
        return data if isinstance(data, KbVersionCreate) else None

    def to_update(self) -> KbVersionUpdate | None:
        data = self._validated(KbVersionUpdate, self._version_values())
        return data if isinstance(data, KbVersionUpdate) else None

    def _version_values(self) -> dict[str, object]:
        return {"title": self.title.strip(), "body": self.body, "change_note": self.change_note.strip()}
