"""/api/v1/governance: the AI kill switch and pilot modes per capability and channel or queue, the answer review
queue, KB change sets through the replay gate (and their rollback), and the gate for settings changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, status

from deskpilot.api.deps import CurrentPrincipal, IdPath, RuntimeDep, SessionDep
from deskpilot.api.routes.assist import refresh_index
from deskpilot.clock import utcnow
from deskpilot.governance import kb_changes, reviews, settings_gate, switches
from deskpilot.governance.enums import ReviewKind
from deskpilot.governance.models import AiSwitch, KbChangeSet
from deskpilot.governance.schemas import (
    AiReviewRead,
    AiSwitchRead,
    AiSwitchUpdate,
    KbChangeSetCreate,
    KbChangeSetRead,
    ReviewSampleRead,
    ReviewSampleRequest,
    RollbackRequest,
    SettingsGateRead,
    SettingsGateRequest,
    VerdictCreate,
)
from deskpilot.runbooks.mailer import SmtpMailer

router = APIRouter(prefix="/api/v1/governance", tags=["governance"])


def to_read(switch: AiSwitch) -> AiSwitchRead:
    return AiSwitchRead(capability=switch.capability, scope=switch.scope, mode=switch.mode, reason=switch.reason,
                        changed_by=switch.changed_by, changed_at=switch.changed_at)


@router.get("/switches", operation_id="list_ai_switches")
def list_ai_switches(session: SessionDep, actor: CurrentPrincipal) -> list[AiSwitchRead]:
    """Every capability switch that is set; a capability without one runs on auto."""
    return [to_read(s) for s in switches.get_all(session, actor=actor)]


@router.put("/switches", operation_id="set_ai_switch")
def set_ai_switch(data: AiSwitchUpdate, session: SessionDep, actor: CurrentPrincipal, ai: RuntimeDep) -> AiSwitchRead:
    """Put a capability into off / shadow / suggest / auto for everything, a channel or a queue; audited, and the
    leads are told by e-mail."""
    return to_read(switches.set_mode(session, actor=actor, capability=data.capability, new_mode=data.mode,
                                     scope=data.scope, reason=data.reason, settings=ai.settings,
                                     mailer=SmtpMailer(ai.settings) if ai.settings.mail_smtp_host else None))


@router.get("/reviews", operation_id="list_ai_reviews")
def list_reviews(session: SessionDep, actor: CurrentPrincipal,
                 pending: Annotated[bool | None, Query(description="true: waiting; false: with a verdict")] = None,
                 kind: ReviewKind | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AiReviewRead]:
    """The answer review queue (reviewers: `ai:review`)."""
    return [AiReviewRead.model_validate(r) for r in reviews.get_all(session, actor=actor, pending=pending, kind=kind,
                                                                    limit=limit)]


@router.post("/reviews/sample", operation_id="sample_ai_reviews", status_code=status.HTTP_201_CREATED)
def sample_reviews(data: ReviewSampleRequest, session: SessionDep, actor: CurrentPrincipal) -> ReviewSampleRead:
    """Add a sample of the period's AI answers, drafts and runbook runs, stratified by intent and confidence."""
    done = reviews.sample(session, actor=actor, since=utcnow() - timedelta(days=data.days),
                          per_stratum=data.per_stratum, kinds=data.kinds)
    return ReviewSampleRead(added=[AiReviewRead.model_validate(r) for r in done.added], strata=done.strata)


@router.post("/reviews/{review_id}/verdict", operation_id="mark_ai_review")
def mark_review(review_id: IdPath, data: VerdictCreate, session: SessionDep, actor: CurrentPrincipal) -> AiReviewRead:
    """Correct, wrong or unsafe, with a note (required unless correct); audited."""
    return AiReviewRead.model_validate(reviews.mark(session, actor=actor, review_id=review_id, verdict=data.verdict,
                                                    note=data.note))


def _change_set(change_set: KbChangeSet) -> KbChangeSetRead:
    return KbChangeSetRead.model_validate(change_set)


@router.get("/kb-change-sets", operation_id="list_kb_change_sets")
def list_kb_change_sets(session: SessionDep, actor: CurrentPrincipal) -> list[KbChangeSetRead]:
    """The KB change sets approved through the gate, newest first."""
    return [_change_set(c) for c in kb_changes.recent(session, actor=actor)]


@router.post("/kb-change-sets", operation_id="approve_kb_change_set", status_code=status.HTTP_201_CREATED)
def approve_kb_change_set(data: KbChangeSetCreate, session: SessionDep, actor: CurrentPrincipal, ai: RuntimeDep,
                          request: Request, tasks: BackgroundTasks) -> KbChangeSetRead:
    """Approve versions in review together if the replay gate passes (409 with the regressions when it refuses,
    unless a lead's override reason is given; audited)."""
    versions = kb_changes.versions_of(session, actor=actor, refs=[(v.article_id, v.version) for v in data.versions])
    done = kb_changes.approve(session, actor=actor, settings=ai.settings, embedder=ai.embedder,
                              index=lambda: ai.kb.current(session), versions=versions, note=data.note,
                              override_reason=data.override_reason)
    tasks.add_task(refresh_index, request.app)
    return _change_set(done)


@router.post("/kb-change-sets/{change_set_id}/rollback", operation_id="roll_back_kb_change_set")
def roll_back_kb_change_set(change_set_id: IdPath, data: RollbackRequest, session: SessionDep,
                            actor: CurrentPrincipal, request: Request, tasks: BackgroundTasks) -> KbChangeSetRead:
    """Put back the versions the change set replaced; the index follows after the commit."""
    done = kb_changes.rollback(session, actor=actor, change_set_id=change_set_id, reason=data.reason)
    tasks.add_task(refresh_index, request.app)
    return _change_set(done)


@router.post("/settings-gate", operation_id="gate_settings_change")
def gate_settings(data: SettingsGateRequest, session: SessionDep, actor: CurrentPrincipal,
                  ai: RuntimeDep) -> SettingsGateRead:
    """Replay the answer cases with candidate setting values beside the live ones; nothing is changed."""
    report = settings_gate.gate_settings_change(session, ai, data.overrides, actor=actor)
    return SettingsGateRead(passed=report.passed, replayed=report.replayed, regressions=report.regressions,
                            run_id=report.run_id, reason=report.reason)
