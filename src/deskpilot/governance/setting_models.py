"""Settings changed by an administrator in the browser: every change is the next version of one setting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime


class SettingVersion(Base):
    """One version of one setting's override; the newest version of a name is in force. A `value` of None
    takes the override back: the environment's value (or the default) holds again."""

    __tablename__ = "setting_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    value: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
