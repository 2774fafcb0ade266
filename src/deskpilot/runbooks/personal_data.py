"""What the runbooks area holds about a person: their self-service resets, and the runs that acted on their
account or that they started or approved."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from deskpilot.personal_data import FunctionSource, Person, Section, columns
from deskpilot.runbooks.models import RunbookApproval, RunbookRun, RunbookRunStep, SelfServiceRequest

# The reset code's hash, the journal's capability token and a step's undo record (which may hold the state
# it restores) are secrets of the desk, not data about the person.
SECRETS = ("code_hash", "journal_token", "undo", "idempotency_key")


def collect(session: Session, *, person: Person) -> Section:
    resets = list(session.scalars(select(SelfServiceRequest).where(SelfServiceRequest.user_id == person.user_id)
                                  .order_by(SelfServiceRequest.id)))
    targets = {person.username.lower(), person.email.lower()}
    runs = list(session.scalars(select(RunbookRun).where(or_(
        func.lower(RunbookRun.target).in_(targets), RunbookRun.actor_id == person.user_id,
        RunbookRun.id.in_([reset.run_id for reset in resets if reset.run_id is not None])))
        .order_by(RunbookRun.id)))
    steps = session.scalars(select(RunbookRunStep).where(RunbookRunStep.run_id.in_([run.id for run in runs]))
                            .order_by(RunbookRunStep.id))
    approvals = session.scalars(select(RunbookApproval).where(RunbookApproval.approver_id == person.user_id)
                                .order_by(RunbookApproval.id))
    return Section(
        name="automations", description="Self-service password resets and unlocks, runbook runs on the "
        "person's account or started by them (with their steps), and runbook approvals they gave.",
        records={"self_service_requests": [columns(reset, leave_out=SECRETS) for reset in resets],
                 "runbook_runs": [columns(run, leave_out=SECRETS) for run in runs],
                 "runbook_run_steps": [columns(step, leave_out=SECRETS) for step in steps],
                 "runbook_approvals": [columns(approval) for approval in approvals]},
        subjects={("self_service_request", str(reset.id)) for reset in resets}
        | {("runbook_run", str(run.id)) for run in runs})


SOURCE = FunctionSource("automations", collect)
