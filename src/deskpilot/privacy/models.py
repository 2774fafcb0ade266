"""The erasure requests: who asked to erase whom, who approved, and how far the erasure got.

The person's identifiers (`person`, `identifiers`) are kept only while the erasure is pending or running, to
find their data; they are emptied when it is done or cancelled, so the request itself keeps nothing of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.privacy.enums import ErasureStatus


class ErasureRequest(Base):
    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[ErasureStatus] = mapped_column(enum_column(ErasureStatus, "erasure_status"))
    person: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    identifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    requested_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    requested_by: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(Text, default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    done_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
