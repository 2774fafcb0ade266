"""The table of limit lifts: a lead lets one requester past the per-hour ticket and conversation limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime


class RequesterLimitLift(Base):
    """Until `lifted_until`, `requester_id` may open tickets and conversations without the hourly limits."""

    __tablename__ = "requester_limit_lifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
    lifted_until: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
