"""Storing one page of ITSM records in the desk: users as accounts, closed tickets as history, published
articles into the KB review. Each function works in the caller's transaction and says what it skipped and why.

Idempotency: a ticket's `external_id` is `<vendor>:<id>`, an article's slug `<vendor>-<id>`, a user's link is a
`connector_links` row; a record already there is left alone, so a page read twice adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserCreate
from deskpilot.connectors.models import ConnectorLink
from deskpilot.connectors.records import ExternalArticle, ExternalAttachment, ExternalTicket, ExternalUser
from deskpilot.errors import DomainError, ProviderError
from deskpilot.kb import service as kb
from deskpilot.kb import workflow
from deskpilot.kb.html_text import html_to_text
from deskpilot.kb.importer import slugify
from deskpilot.kb.models import KbArticle
from deskpilot.kb.schemas import KbArticleCreate, KbVersionCreate
from deskpilot.tickets import attachments
from deskpilot.tickets.enums import Channel, Priority, TicketStatus
from deskpilot.tickets.history import HistoricalReply, HistoricalTicket, import_history
from deskpilot.tickets.models import Queue, Ticket

USER = "user"
CLOSED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
_NOT_USERNAME = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Skipped:
    kind: str
    external_id: str
    reason: str


@dataclass
class PageResult:
    added: int = 0
    unchanged: int = 0
    attachments: int = 0
    comments: int = 0
    updated: int = 0
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """Where and as whom records land: the vendor's namespace, the importing actor, the files' limits."""

    vendor: str
    actor: Principal
    data_dir: Path
    max_attachment_bytes: int
    queues_by_group: Mapping[str, int] = field(default_factory=dict)
    fallback_requester_id: int | None = None


def ticket_key(vendor: str, external_id: str) -> str:
    return f"{vendor}:{external_id}"


def article_slug(vendor: str, external_id: str) -> str:
    return slugify(f"{vendor}-{external_id}")


def queues_by_group(session: Session, groups: Mapping[str, str]) -> dict[str, int]:
    """Vendor group ids whose name is also a desk queue's name, to that queue's id."""
    queues = {q.name.lower(): q.id for q in session.scalars(select(Queue))}
    return {group_id: queues[name.lower()] for group_id, name in groups.items() if name.lower() in queues}


def _linked(session: Session, vendor: str, external_ids: list[str]) -> dict[str, int]:
    if not external_ids:
        return {}
    rows = session.execute(select(ConnectorLink.external_id, ConnectorLink.local_id).where(
        ConnectorLink.connector == vendor, ConnectorLink.kind == USER, ConnectorLink.external_id.in_(external_ids)))
    return {external_id: local_id for external_id, local_id in rows}


def _free_username(session: Session, email: str) -> str:
    local = _NOT_USERNAME.sub("-", email.split("@", 1)[0].lower()).strip("-._")
    base = (local if len(local) >= 2 else f"user-{local}".rstrip("-"))[:56]
    suffix = 1
    while accounts.get_by_username(session, username=base if suffix == 1 else f"{base}-{suffix}") is not None:
        suffix += 1
    return base if suffix == 1 else f"{base}-{suffix}"


def store_users(session: Session, *, target: Target, users: tuple[ExternalUser, ...]) -> PageResult:
    """Link each vendor user to the desk account with the same e-mail, creating a requester account if none."""
    result = PageResult()
    known = _linked(session, target.vendor, [u.external_id for u in users])
    for user in users:
        if user.external_id in known:
            result.unchanged += 1
            continue
        if not user.email:
            result.skipped.append(Skipped(USER, user.external_id, "no e-mail address to match or create an account"))
            continue
        account = session.scalar(select(User).where(func.lower(User.email) == user.email.lower()))
        if account is None:
            try:
                data = UserCreate(username=_free_username(session, user.email), email=user.email,
                                  full_name=(user.name or user.email)[:200], role=Role.REQUESTER)
            except ValidationError:
                result.skipped.append(Skipped(USER, user.external_id, f"e-mail {user.email!r} is not valid"))
                continue
            account = accounts.create(session, actor=target.actor, data=data)
        session.add(ConnectorLink(connector=target.vendor, kind=USER, external_id=user.external_id,
                                  local_id=account.id))
        session.flush()
        result.added += 1
    return result


def _first_response(ticket: ExternalTicket) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(ticket.comments) if c.public and c.author_id != ticket.requester_id)


def _historical(ticket: ExternalTicket, *, target: Target, users: Mapping[str, int],
                staff: set[int], requester_id: int) -> HistoricalTicket:
    answered = _first_response(ticket)
    # The ticket is closed now, so its last change of status is the one that closed it.
    resolved = next((h.changed_at for h in reversed(ticket.history) if h.field in ("status", "state")),
                    ticket.updated_at)
    assignee = users.get(ticket.assignee_id or "")
    return HistoricalTicket(
        external_id=ticket_key(target.vendor, ticket.external_id), subject=(ticket.subject or ticket.number)[:300],
        description=ticket.description, category=(ticket.category or None) and ticket.category[:120],
        queue_id=target.queues_by_group.get(ticket.group_id or ""), priority=ticket.priority or Priority.P3,
        channel=Channel.API, status=ticket.status, created_at=ticket.created_at, requester_id=requester_id,
        assignee_id=assignee if assignee in staff else None,
        first_responded_at=ticket.comments[answered[0]].created_at if answered else None,
        resolved_at=max(resolved, ticket.created_at), resolution=None,
        replies=tuple(HistoricalReply(author_id=users.get(c.author_id or ""), body=c.body, internal=not c.public,
                                      created_at=c.created_at) for c in ticket.comments if c.body.strip()))


def _store_files(session: Session, *, target: Target, ticket: ExternalTicket, ticket_id: int,
                 read: Callable[[ExternalAttachment], bytes], result: PageResult) -> None:
    for item in ticket.attachments:
        where = f"{ticket.number} {item.filename}"
        if item.size > target.max_attachment_bytes:
            result.skipped.append(Skipped("attachment", where, f"{item.size // 1024} KiB is over the attachment "
                                          "limit (DESKPILOT_ATTACHMENT_MAX_BYTES)"))
            continue
        try:
            content = read(item)
            stored = attachments.store_checked(target.data_dir, target.max_attachment_bytes, attachments.Upload(
                filename=item.filename, declared_type=item.content_type, content=content))
        except ProviderError as exc:
            if exc.retryable:
                raise
            result.skipped.append(Skipped("attachment", where, exc.message))
            continue
        except DomainError as exc:
            result.skipped.append(Skipped("attachment", where, exc.message))
            continue
        # Files of imported history are staff-only: the ITSM's export does not say whether the requester saw them.
        attachments.record_imported(session, ticket_id=ticket_id, stored=stored, channel=Channel.API, internal=True,
                                    uploaded_by_id=None)
        result.attachments += 1


def store_tickets(session: Session, *, target: Target, tickets: tuple[ExternalTicket, ...],
                  read: Callable[[ExternalAttachment], bytes]) -> PageResult:
    """Add the closed tickets not yet imported, with their comments and files."""
    result = PageResult()
    keys = [ticket_key(target.vendor, t.external_id) for t in tickets]
    present = set(session.scalars(select(Ticket.external_id).where(Ticket.external_id.in_(keys)))) if keys else set()
    people = [p for t in tickets for p in (t.requester_id, t.assignee_id, *(c.author_id for c in t.comments)) if p]
    users = _linked(session, target.vendor, people)
    staff = set(session.scalars(select(User.id).where(User.id.in_(list(users.values())),
                                                      User.role != Role.REQUESTER))) if users else set()
    fresh: dict[str, ExternalTicket] = {}
    records = []
    for ticket, key in zip(tickets, keys, strict=True):
        if key in present or key in fresh:
            result.unchanged += 1
            continue
        if ticket.status not in CLOSED:
            result.skipped.append(Skipped("ticket", ticket.number, f"still {ticket.vendor_status} in {target.vendor}; "
                                          "it is imported once it is closed"))
            continue
        requester_id = users.get(ticket.requester_id or "", target.fallback_requester_id)
        if requester_id is None:
            result.skipped.append(Skipped("ticket", ticket.number, f"its requester {ticket.requester_id or '(none)'} "
                                          "has no desk account (see the users skipped, or "
                                          "import again with --fallback-requester and --from-start)"))
            continue
        fresh[key] = ticket
        records.append(_historical(ticket, target=target, users=users, staff=staff, requester_id=requester_id))
    result.added = import_history(session, actor=target.actor, records=records) if records else 0
    result.comments = sum(len(r.replies) for r in records)
    ids = dict(session.execute(select(Ticket.external_id, Ticket.id).where(Ticket.external_id.in_(list(fresh)))).all())
    for key, ticket in fresh.items():
        _store_files(session, target=target, ticket=ticket, ticket_id=ids[key], read=read, result=result)
    return result


def store_articles(session: Session, *, target: Target, articles: tuple[ExternalArticle, ...]) -> PageResult:
    """Published articles into the KB review: a new article, or a new version when the text changed, submitted
    for review with the source link in its change note; drafts in the ITSM are skipped."""
    result = PageResult()
    for article in articles:
        if not article.published:
            result.skipped.append(Skipped("article", article.external_id, f"not published in {target.vendor}"))
            continue
        heading, body = html_to_text(article.body)
        title = (article.title or heading).strip()
        slug, note = article_slug(target.vendor, article.external_id), f"imported from {article.url}"
        existing = session.scalar(select(KbArticle).where(KbArticle.slug == slug))
        if existing is not None and (existing.versions[-1].title, existing.versions[-1].body.strip()) == (
                title, body.strip()):
            result.unchanged += 1
            continue
        pending = next((v for v in existing.versions if v.status in kb.OPEN_STATUSES), None) if existing else None
        if pending is not None:
            result.skipped.append(Skipped("article", article.external_id, f"changed in {target.vendor}, but {slug} "
                                          f"v{pending.version} is still {pending.status}; decide it first"))
            continue
        try:
            if existing is None:
                existing = kb.create(session, actor=target.actor, data=KbArticleCreate(
                    slug=slug, title=title, body=body, tags=[target.vendor], change_note=note[:1000]))
                result.added += 1
            else:
                kb.add_version(session, actor=target.actor, article_id=existing.id,
                               data=KbVersionCreate(title=title, body=body, change_note=note[:1000]))
                result.updated += 1
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:2])
            result.skipped.append(Skipped("article", article.external_id, problem))
            continue
        workflow.submit(session, actor=target.actor, article_id=existing.id, version=existing.versions[-1].version)
    return result
