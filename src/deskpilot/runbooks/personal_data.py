"""What the runbooks area holds about a person: their self-service resets, and the runs that acted on their
account or that they started or approved. Erasing names the pseudonym as the target of those runs and scrubs
the person's identifiers from their parameters, plans and step outputs, and from every entry of the run journal
(`runbooks.journal`, the write-ahead copy of the runs' inputs and outputs under DATA_DIR)."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.personal_data import Change, Erasure, FunctionSource, Person, Section, columns
from deskpilot.runbooks.journal import RunJournal
from deskpilot.runbooks.models import RunbookApproval, RunbookRun, RunbookRunStep, SelfServiceRequest

# The reset code's hash, the journal's capability token and a step's undo record (which may hold the state
# it restores) are secrets of the desk, not data about the person.
SECRETS = ("code_hash", "journal_token", "undo", "idempotency_key")


def collect(session: Session, *, settings: Settings, person: Person) -> Section:
    del settings  # the journal holds nothing the rows do not: it is erased, not exported
    return _collect(session, person=person)


def _collect(session: Session, *, person: Person) -> Section:
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


def erase(session: Session, *, settings: Settings, erasure: Erasure, apply: bool) -> list[Change]:
    section = _collect(session, person=erasure.person)
    run_ids = [row["id"] for row in section.records["runbook_runs"]]
    runs = list(session.scalars(select(RunbookRun).where(RunbookRun.id.in_(run_ids))))
    steps = list(session.scalars(select(RunbookRunStep).where(RunbookRunStep.run_id.in_(run_ids))))
    if apply:
        for run in runs:
            run.target = erasure.pseudonym if erasure.mentions(run.target) else run.target
            run.parameters, run.plan = erasure.scrub_json(run.parameters), erasure.scrub_json(run.plan)
        for step in steps:
            step.inputs, step.output = erasure.scrub_json(step.inputs), erasure.scrub_json(step.output)
            step.undo = erasure.scrub_json(step.undo)
            step.error = None if step.error is None else erasure.scrub(step.error)
        session.flush()
    # Every entry, not only those of the runs above: a run on someone else may name the person in its inputs.
    entries = RunJournal.of(settings).rewrite(erasure.scrub_json, change_text=erasure.scrub, apply=apply)
    return [Change("automations", "runbook_runs", len(runs), "target pseudonymised, identifiers scrubbed"),
            Change("automations", "runbook_run_steps", len(steps), "identifiers scrubbed"),
            Change("automations", "runbook_journal_entries", entries,
                   "identifiers scrubbed from the run journal's inputs, outputs and errors")]


SOURCE = FunctionSource("automations", collect, reads_files=True, eraser=erase)
