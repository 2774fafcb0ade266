"""The demo desk's shipped runbooks are approved by two of its leads, so they run in `make demo` at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.demo.loader import RUNBOOK_APPROVERS, load_demo
from deskpilot.runbooks import builtin
from deskpilot.runbooks import service as runbooks
from deskpilot.runbooks.models import RunbookApproval, VersionStatus


def test_the_demo_approves_every_shipped_runbook_once(session: Session) -> None:
    load_demo(session, with_history=False)
    load_demo(session, with_history=False)
    session.commit()
    for name in builtin.sources():
        versions = runbooks.versions(session, name=name)
        assert [v.status for v in versions] == [VersionStatus.APPROVED], name
    approvers = set(session.scalars(select(RunbookApproval.approver_name)))
    assert approvers == set(RUNBOOK_APPROVERS)
