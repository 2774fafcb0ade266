"""The closed vocabularies of the knowledge base."""

from enum import StrEnum


class KbArticleStatus(StrEnum):
    """An article is a draft until a version is approved, published while one is, retired after."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class KbVersionStatus(StrEnum):
    """draft → in_review → approved → retired; a rejected version goes back to draft."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    RETIRED = "retired"
