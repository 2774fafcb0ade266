"""KB change sets through the replay gate: approve versions in review together, and roll them back as one.

A change set is one or several article versions in review. Before they go live the answer cases of the
replay set are replayed through the live index and through a copy with the versions swapped in; the approval
is refused when any expected article's deflection drops by more than the threshold or answer precision falls
below its floor, unless a lead gives an override reason (audited beside the replay run). With no replay set,
or one without answer cases, there is nothing to regress against and the versions are approved as they are.
An approved change set remembers the versions it replaced: a rollback re-approves those (an article that was
new is withdrawn), and the index follows the database at its next use, so the chat answers as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.governance import gate, replay_sets
from deskpilot.governance.enums import CaseKind
from deskpilot.governance.models import KbChangeSet, ReplayRun
from deskpilot.kb import workflow
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.kb.service import article_snapshot, document_url, get_version, record
from deskpilot.ml.embeddings import Embedder

ALL = ("*", "all")


def in_review(session: Session, *, slugs: Sequence[str] = ALL[:1]) -> list[KbArticleVersion]:
    """The versions in review of `slugs` (default: every article); a slug with none is refused."""
    query = (select(KbArticleVersion).join(KbArticle, KbArticle.id == KbArticleVersion.article_id)
             .where(KbArticleVersion.status == KbVersionStatus.IN_REVIEW).order_by(KbArticle.slug))
    wanted = [s.strip() for s in slugs if s.strip()]
    if not set(wanted) & set(ALL):
        query = query.where(KbArticle.slug.in_(wanted))
    found = list(session.scalars(query))
    missing = sorted(set(wanted) - set(ALL) - {v.article.slug for v in found})
    if missing:
        raise InvalidInput(f"no version in review for {', '.join(missing)}; submit a draft for review first")
    if not found:
        raise InvalidInput("no article version is in review: there is no KB change set to replay")
    return found


def versions_of(session: Session, *, actor: Principal, refs: Sequence[tuple[int, int]]) -> list[KbArticleVersion]:
    """The versions named by (article id, version number), each in review (the kb workflow's wording)."""
    require(actor, Permission.KB_APPROVE)
    if not refs:
        raise InvalidInput("name at least one article version of the change set")
    found = []
    for article_id, number in dict.fromkeys(refs):
        version = get_version(session, actor=actor, article_id=article_id, version=number)
        if version.status is not KbVersionStatus.IN_REVIEW:
            raise Conflict(f"{version.article.slug} v{number} is {version.status}; only a version that is "
                           f"{KbVersionStatus.IN_REVIEW} can be approved.")
        found.append(version)
    if len({v.article_id for v in found}) != len(found):
        raise InvalidInput("a change set holds one version per article")
    return found


def describe(versions: Sequence[KbArticleVersion]) -> tuple[str, ...]:
    return tuple(f"{v.article.slug} v{v.version}" for v in versions)


def candidate_index(index: KbIndex, versions: Sequence[KbArticleVersion]) -> KbIndex:
    """A copy of the live index with `versions` swapped in (the embedders are shared, not copied)."""
    fresh = index.fork()
    fresh.add_documents(KbDocument(slug=v.article.slug, version=v.version, title=v.title, text=v.body,
                                   url=document_url(v.article.slug, v.version), language=v.article.language,
                                   translation_of=v.article.translation_of, tags=tuple(v.article.tags))
                        for v in versions)
    return fresh


def _has_answer_cases(session: Session) -> bool:
    latest = replay_sets.latest(session)
    return latest is not None and any(c.kind == CaseKind.ANSWER for c in latest.cases)


def replay(session: Session, *, actor: Principal, settings: Settings, embedder: Embedder, index: KbIndex,
           versions: Sequence[KbArticleVersion], set_version: int | None = None) -> ReplayRun:
    """Replay the answer cases through the live KB `index` and with `versions` swapped in; the run is stored."""
    candidate = gate.Candidate(kb_index=candidate_index(index, versions), kb_change=describe(versions))
    return gate.run(session, actor=actor, settings=settings, embedder=embedder, index=index, candidate=candidate,
                    set_version=set_version)


def approve(session: Session, *, actor: Principal, settings: Settings, embedder: Embedder,
            index: Callable[[], KbIndex], versions: Sequence[KbArticleVersion], note: str | None = None,
            override_reason: str | None = None) -> KbChangeSet:
    """Approve `versions` together if the replay gate lets them through or a lead's reason overrides it.

    `index` gives the live KB index (synced); it is called only when there are answer cases to replay."""
    require(actor, Permission.KB_APPROVE)
    reason = (override_reason or "").strip()[:500] or None
    if reason is not None:
        require(actor, Permission.AI_GOVERN)
    names = describe(versions)
    run = replay(session, actor=actor, settings=settings, embedder=embedder, index=index(),
                 versions=versions) if _has_answer_cases(session) else None
    if run is not None and not run.passed and reason is None:
        audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="kb.change_set_refused",
                     subject_type="kb_change_set", subject_id=", ".join(names)[:80],
                     after={"versions": list(names), "replay_run": run.id, "regressions": run.report["regressions"]})
        raise Conflict(f"The KB change set ({', '.join(names)}) was not approved: the replay gate (run {run.id}, "
                       f"replay set v{run.report['set_version']}) found regressions against the live KB: "
                       + "; ".join(run.report["regressions"])
                       + ". Fix the articles, or approve anyway with an override reason.", recorded=True)
    items = []
    for version in versions:
        previous = version.article.approved_version
        workflow.approve(session, actor=actor, article_id=version.article_id, version=version.version, note=note)
        items.append({"article_id": version.article_id, "slug": version.article.slug, "version": version.version,
                      "previous": previous})
    overridden = run is not None and not run.passed
    change_set = KbChangeSet(items=items, replay_run_id=run.id if run else None,
                             override_reason=reason if overridden else None, approved_by=actor.username,
                             approved_at=utcnow())
    session.add(change_set)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username,
                 action="kb.change_set_approved_with_override" if overridden else "kb.change_set_approved",
                 subject_type="kb_change_set", subject_id=change_set.id,
                 after={"versions": list(names), "replay_run": change_set.replay_run_id,
                        "override_reason": change_set.override_reason,
                        "regressions": run.report["regressions"] if run else []})
    return change_set


def get(session: Session, *, change_set_id: int) -> KbChangeSet:
    found = session.get(KbChangeSet, change_set_id)
    if found is None:
        raise NotFound(f"No KB change set {change_set_id}.")
    return found


def recent(session: Session, *, actor: Principal, limit: int = 20) -> list[KbChangeSet]:
    """The newest change sets first."""
    require(actor, Permission.KB_APPROVE)
    return list(session.scalars(select(KbChangeSet).order_by(KbChangeSet.id.desc()).limit(limit)))


def rollback(session: Session, *, actor: Principal, change_set_id: int, reason: str) -> KbChangeSet:
    """Put back the versions a change set replaced (an article it published first is withdrawn); audited.

    Refused when an article has moved on since (a later approval): roll that change back first."""
    require(actor, Permission.KB_APPROVE)
    change_set = get(session, change_set_id=change_set_id)
    if change_set.rolled_back_at is not None:
        raise Conflict(f"KB change set {change_set_id} was already rolled back by {change_set.rolled_back_by}.")
    if not reason.strip():
        raise InvalidInput("Say why the change set is rolled back, for the audit log.")
    articles = []
    for item in change_set.items:
        article = session.get(KbArticle, item["article_id"])
        if article is None:
            raise Conflict(f"{item['slug']} was deleted since; the change set cannot be rolled back.")
        if article.approved_version != item["version"]:
            raise Conflict(f"{article.slug} is at v{article.approved_version} now, not v{item['version']} of change "
                           f"set {change_set_id}; roll back the later change first.")
        articles.append((article, item))
    now = utcnow()
    for article, item in articles:
        before = article_snapshot(article)
        for version in article.versions:
            if version.version == item["version"]:
                version.status, version.retired_at = KbVersionStatus.RETIRED, now
            elif version.version == item["previous"]:
                version.status, version.retired_at = KbVersionStatus.APPROVED, None
                article.title = version.title
        article.approved_version = item["previous"]
        article.status = KbArticleStatus.PUBLISHED if item["previous"] is not None else KbArticleStatus.RETIRED
        session.flush()
        record(session, actor, "kb.rollback", article, before=before,
               after=article_snapshot(article) | {"change_set": change_set.id})
    change_set.rolled_back_by, change_set.rolled_back_at = actor.username, now
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="kb.change_set_rolled_back",
                 subject_type="kb_change_set", subject_id=change_set.id,
                 after={"versions": [{"slug": i["slug"], "from": i["version"], "to": i["previous"]}
                                     for i in change_set.items], "reason": reason.strip()[:500]})
    return change_set
