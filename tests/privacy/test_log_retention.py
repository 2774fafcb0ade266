"""Log-like tables (sign-in attempts) lose their rows past the logs' period; a dry run only counts them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import LoginAttempt
from deskpilot.accounts.retention import SWEEP
from deskpilot.clock import utcnow
from deskpilot.config import Settings


def test_rows_before_the_cut_off_are_counted_in_a_dry_run_and_deleted_in_a_real_one(session: Session) -> None:
    now = utcnow()
    session.add_all([LoginAttempt(key="old", at=now - timedelta(days=100)),
                     LoginAttempt(key="older", at=now - timedelta(days=200)),
                     LoginAttempt(key="recent", at=now - timedelta(days=1))])
    session.flush()
    cut_off = now - timedelta(days=90)

    assert SWEEP.expire(session, settings=Settings(), before=cut_off, dry_run=True).records == 2
    assert len(session.scalars(select(LoginAttempt)).all()) == 3

    assert SWEEP.expire(session, settings=Settings(), before=cut_off, dry_run=False).records == 2
    assert [a.key for a in session.scalars(select(LoginAttempt))] == ["recent"]
