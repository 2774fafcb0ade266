"""The answer review queue of the governance board: samples of AI answers, drafts and runbook runs, and verdicts.

`sample` draws from the records of a period that are not in the queue yet: chat answers the assistant gave (or
would have given, in shadow), reply drafts, and executed runbook runs. It stratifies them by kind, intent (the
article an answer or draft was built from, the runbook a run executed) and confidence band, and takes up to
`per_stratum` at random from each stratum, so rare intents and unsure answers are reviewed as well as the
common ones. A reviewer (`ai:review`) marks each correct, wrong or unsafe, with a note (required unless
correct). Verdicts feed the AI-accuracy KPI (analytics), the replay set (`replay build`: correct answers as
approved cases, wrong ones as negative cases) and, for a wrong or unsafe answer or draft, the gap report.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.clock import utcnow
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.governance.enums import ReviewKind, Verdict
from deskpilot.governance.models import AiReview
from deskpilot.kb.models import KbGapQuestion
from deskpilot.runbooks.enums import RunMode
from deskpilot.runbooks.models import Runbook, RunbookRun, RunbookVersion

MAX_CANDIDATES = 5000
NO_ARTICLE = "(no article)"
BANDS = ((0.8, "high"), (0.5, "medium"), (0.0, "low"))


def band(confidence: float | None) -> str:
    """The confidence band a sample is stratified by."""
    if confidence is None:
        return "n/a"
    return next(name for floor, name in BANDS if confidence >= floor)


def _first_slug(sources: object) -> str | None:
    first = sources[0] if isinstance(sources, list) and sources else None
    slug = first.get("slug") if isinstance(first, dict) else None
    return slug if isinstance(slug, str) else None


def _decisions(session: Session, kind: DecisionKind, review_kind: ReviewKind, since: datetime) -> list[AiReview]:
    queued = exists().where(AiReview.kind == review_kind, AiReview.item_ref == AiDecision.id)
    rows = session.scalars(select(AiDecision).where(AiDecision.kind == kind, AiDecision.abstained.is_(False),
                                                    AiDecision.created_at >= since, ~queued)
                           .order_by(AiDecision.id.desc()).limit(MAX_CANDIDATES))
    found = []
    for decision in rows:
        slug = _first_slug(decision.sources)
        text = decision.outputs.get("text") if isinstance(decision.outputs, dict) else None
        found.append(AiReview(kind=review_kind, item_ref=decision.id, intent=(slug or NO_ARTICLE)[:120],
                              confidence=decision.confidence, question=decision.input_redacted,
                              output=str(text or ""), article=slug))
    return found


def _runbook_runs(session: Session, since: datetime) -> list[AiReview]:
    queued = exists().where(AiReview.kind == ReviewKind.RUNBOOK_RUN, AiReview.item_ref == RunbookRun.id)
    rows = session.execute(
        select(RunbookRun, Runbook.name).join(RunbookVersion, RunbookVersion.id == RunbookRun.version_id)
        .join(Runbook, Runbook.id == RunbookVersion.runbook_id)
        .where(RunbookRun.mode == RunMode.EXECUTE, RunbookRun.created_at >= since, ~queued)
        .order_by(RunbookRun.id.desc()).limit(MAX_CANDIDATES))
    return [AiReview(kind=ReviewKind.RUNBOOK_RUN, item_ref=run.id, intent=name[:120], confidence=None,
                     question=f"{name} on {run.target} ({run.origin})",
                     output=f"{run.status.value}" + (f": {run.error}" if run.error else "")
                     + "".join(f"\n{step.get('title') or step.get('name') or step}" for step in run.plan[:10]
                               if isinstance(step, dict)))
            for run, name in rows]


def stratify(candidates: Iterable[AiReview], *, per_stratum: int, rng: random.Random) -> list[AiReview]:
    """Up to `per_stratum` of each (kind, intent, confidence band) stratum, drawn at random."""
    strata: dict[tuple[str, str, str], list[AiReview]] = defaultdict(list)
    for item in candidates:
        strata[(item.kind.value, item.intent, band(item.confidence))].append(item)
    picked = []
    for key in sorted(strata):
        members = strata[key]
        picked += rng.sample(members, min(per_stratum, len(members)))
    return picked


@dataclass(frozen=True)
class Sample:
    added: list[AiReview]
    strata: int


def sample(session: Session, *, actor: Principal, since: datetime, per_stratum: int = 3,
           kinds: Iterable[ReviewKind] = tuple(ReviewKind), seed: int | None = None) -> Sample:
    """Add a stratified sample of the period's AI outputs that are not queued yet; audited."""
    require(actor, Permission.AI_REVIEW)
    if not 1 <= per_stratum <= 100:
        raise InvalidInput("per stratum: between 1 and 100 items")
    wanted = set(kinds)
    candidates: list[AiReview] = []
    if ReviewKind.ANSWER in wanted:
        candidates += _decisions(session, DecisionKind.ANSWER, ReviewKind.ANSWER, since)
    if ReviewKind.DRAFT in wanted:
        candidates += _decisions(session, DecisionKind.DRAFT, ReviewKind.DRAFT, since)
    if ReviewKind.RUNBOOK_RUN in wanted:
        candidates += _runbook_runs(session, since)
    picked = stratify(candidates, per_stratum=per_stratum, rng=random.Random(seed))
    now = utcnow()
    for item in picked:
        item.sampled_at, item.sampled_by = now, actor.username
    session.add_all(picked)
    session.flush()
    strata = len({(i.kind, i.intent, band(i.confidence)) for i in picked})
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="ai.review_sampled",
                 subject_type="ai_review", subject_id="queue",
                 after={"added": len(picked), "strata": strata, "since": since.isoformat(),
                        "per_stratum": per_stratum})
    return Sample(picked, strata)


def get_all(session: Session, *, actor: Principal, pending: bool | None = None, kind: ReviewKind | None = None,
            limit: int = 100) -> list[AiReview]:
    """The queue: items waiting for a verdict first (oldest sampled first), or the reviewed ones newest first."""
    require(actor, Permission.AI_REVIEW)
    query = select(AiReview)
    if kind is not None:
        query = query.where(AiReview.kind == kind)
    if pending is True:
        query = query.where(AiReview.verdict.is_(None)).order_by(AiReview.sampled_at, AiReview.id)
    elif pending is False:
        query = query.where(AiReview.verdict.is_not(None)).order_by(AiReview.reviewed_at.desc(), AiReview.id.desc())
    else:
        query = query.order_by(AiReview.verdict.is_not(None), AiReview.id.desc())
    return list(session.scalars(query.limit(limit)))


def mark(session: Session, *, actor: Principal, review_id: int, verdict: Verdict, note: str = "") -> AiReview:
    """Record a reviewer's verdict (a changed mind is recorded too); audited. A wrong or unsafe answer or draft
    also goes to the gap report as a question the KB does not answer right."""
    require(actor, Permission.AI_REVIEW)
    item = session.get(AiReview, review_id)
    if item is None:
        raise NotFound(f"No review item {review_id}.")
    note = note.strip()[:1000]
    if verdict is not Verdict.CORRECT and not note:
        raise InvalidInput(f"Say what is {verdict.value} about it: a {verdict.value} verdict needs a note.")
    before = {"verdict": item.verdict.value if item.verdict else None, "note": item.note}
    first_bad = item.verdict in (None, Verdict.CORRECT) and verdict is not Verdict.CORRECT
    item.verdict, item.note = verdict, note
    item.reviewer_id, item.reviewer_name, item.reviewed_at = actor.user_id, actor.username, utcnow()
    if first_bad and item.kind in (ReviewKind.ANSWER, ReviewKind.DRAFT) and item.question.strip():
        session.add(KbGapQuestion(question=item.question, confidence=item.confidence or 0.0,
                                  near_misses=[{"slug": item.article, "reviewed": verdict.value}] if item.article
                                  else [], asked_at=item.reviewed_at))
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="ai.review_marked",
                 subject_type="ai_review", subject_id=item.id, before=before,
                 after={"verdict": verdict.value, "note": note, "kind": item.kind.value, "item": item.item_ref})
    return item


def reviewed_answers(session: Session) -> list[AiReview]:
    """Answers and drafts with a verdict and an article, for the replay set (newest first)."""
    return list(session.scalars(
        select(AiReview).where(AiReview.kind.in_([ReviewKind.ANSWER, ReviewKind.DRAFT]),
                               AiReview.verdict.is_not(None), AiReview.article.is_not(None), AiReview.question != "")
        .order_by(AiReview.id.desc()).limit(MAX_CANDIDATES)))
