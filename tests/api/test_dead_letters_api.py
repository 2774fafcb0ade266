"""The dead letters over the API: an admin lists the runs that failed for good, retries one and discards
another (both audited); nobody else may; a run handled twice is refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from tests.api.conftest import Clients
from tests.jobs.test_dead_letters import plant_failures

F = "/api/v1/admin/jobs/failed"


def test_an_admin_retries_one_failed_run_and_discards_another(clients: Clients,
                                                              session: Session) -> None:
    retried, discarded = plant_failures(session)
    listed = clients["adam"].get(F, params={"status": "failed"}).json()
    assert [row["job"] for row in listed] == ["mail.send", "test.unreachable"]
    assert listed[1]["error"] == "ConnectionRefusedError: server down (attempt 2)"
    for name in ("alice", "carol", "lena", "audrey"):
        assert clients[name].get(F).status_code == 403
        assert clients[name].post(f"{F}/{retried.id}/retry").status_code == 403

    answer = clients["adam"].post(f"{F}/{retried.id}/retry")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["resolved_by"]) == ("retry_requested", "adam")
    assert clients["adam"].post(f"{F}/{discarded.id}/discard").json()["status"] == "discarded"
    again = clients["adam"].post(f"{F}/{retried.id}/discard")
    assert again.status_code == 409
    assert "already handled (retry_requested by adam)" in again.json()["message"]
    assert clients["adam"].post(f"{F}/999999/retry").status_code == 404
    assert clients["adam"].get(F, params={"status": "failed"}).json() == []
    session.expire_all()
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "failed_job")).all()
    assert sorted(actions) == ["job.discard", "job.retry"]
