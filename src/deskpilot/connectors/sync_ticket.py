"""Bringing one linked ticket into step: what changed on each side since the last sync, decided by the rules of
sync_rules.py, written to the desk in one transaction and then to the ITSM.

Loop-free and crash-safe by construction:
- each side is compared with its own base (`connector_sync_links.desk` / `.itsm`), and after a write the written
  side's base becomes what it now holds, so the sync's own writes are never seen as changes (nothing echoes back);
- a field written to the ITSM is noted in `pending` before the write and its bases move only after it; a crash in
  between is recognised on the next pass (the ITSM's value moved from its base: the write landed);
- a desk message written to the ITSM has its `connector_sync_comments` row committed before the write; a row still
  without the ITSM's comment id is matched against the ITSM's comments (same text, same visibility) before it is
  written again, so a crash or a 429 storm writes it once and the comment read back is not taken as new;
- a comment from the ITSM is appended to the desk with its row in the same transaction, so it comes in once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.connectors.base import Connector
from deskpilot.connectors.enums import SyncDirection, SyncRule, SyncSide
from deskpilot.connectors.models import SyncComment, SyncConflict, SyncLink
from deskpilot.connectors.records import CommentDraft, ExternalComment, ExternalTicket
from deskpilot.connectors.storing import Skipped, ticket_key
from deskpilot.connectors.sync_rules import FIELDS, Lost, Ownership, decide
from deskpilot.connectors.sync_values import Directory, Values, desk_changes, desk_values, itsm_changes, itsm_values
from deskpilot.errors import Conflict
from deskpilot.tickets.enums import Channel, MessageKind, Priority
from deskpilot.tickets.history import HistoricalReply, HistoricalTicket
from deskpilot.tickets.lifecycle import OPEN_STATUSES
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.synced import append_synced, change_synced, open_synced

UnitOfWork = Callable[[], AbstractContextManager[Session]]


@dataclass
class SyncReport:
    read: int = 0
    linked: int = 0
    to_desk: int = 0
    to_itsm: int = 0
    comments_in: int = 0
    comments_out: int = 0
    conflicts: int = 0
    recovered: int = 0
    held: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    stopped: str | None = None

    def summary(self) -> str:
        text = (f"{self.read} tickets read, {self.linked} newly linked; {self.to_desk} field changes into deskpilot, "
                f"{self.to_itsm} into the ITSM; {self.comments_in} comments in, {self.comments_out} out; "
                f"{self.conflicts} conflicts resolved by the rules")
        if self.recovered:
            text += f"; {self.recovered} writes of an interrupted pass recognised"
        if self.held:
            text += f"; {self.held} changes held (itsm_write_back is not auto)"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped"
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


@dataclass(frozen=True)
class Push:
    """What is to be written to the ITSM for one link: field values (the ITSM's terms) and comments to post."""

    link_id: int
    external_id: str
    fields: Values
    comments: tuple[tuple[int, str, bool], ...]  # (sync comment row id, body, public)


def _same(message: TicketMessage, comment: ExternalComment) -> bool:
    return message.body.strip() == comment.body.strip() and (message.kind is MessageKind.PUBLIC_REPLY) == comment.public


@dataclass
class TicketSync:
    units: UnitOfWork
    connector: Connector
    ownership: Ownership
    directory: Directory
    actor: Principal
    write_back: bool
    report: SyncReport
    reconciled: set[str] = field(default_factory=set)  # the ITSM ids brought into step in this pass

    def reconcile(self, remote: ExternalTicket) -> None:
        """Bring `remote` and its desk ticket into step (linking an open ITSM ticket not linked yet)."""
        self.reconciled.add(remote.external_id)
        with self.units() as session:
            link = session.scalar(select(SyncLink).where(SyncLink.connector == self.connector.name,
                                                         SyncLink.external_id == remote.external_id))
            if link is None:
                link = self._adopt(session, remote)
                if link is None:
                    return
            push = self._merge(session, link, remote)
        if push.fields or push.comments:
            self._push(push)

    def _adopt(self, session: Session, remote: ExternalTicket) -> SyncLink | None:
        if remote.status not in OPEN_STATUSES:
            return None  # closed tickets are history: `connectors import` brings them
        key = ticket_key(self.connector.name, remote.external_id)
        ticket = session.scalar(select(Ticket).where(Ticket.external_id == key))
        fresh = ticket is None
        if ticket is None:
            ticket = self._open(session, remote, key)
            if ticket is None:
                return None
        link = SyncLink(connector=self.connector.name, external_id=remote.external_id, number=remote.number[:64],
                        url=remote.url[:500], ticket_id=ticket.id, desk=desk_values(ticket),
                        itsm=itsm_values(remote) if fresh else {}, versions=dict.fromkeys(FIELDS, 1), pending={})
        session.add(link)
        session.flush()
        comments = [c for c in remote.comments if c.body.strip()]
        for index, message in enumerate(ticket.messages):
            if fresh:  # the description, then the remote's comments in order (open_synced wrote them so)
                match = comments[index - 1] if index else None
            else:  # a ticket imported earlier: its messages are the comments it was imported with, by their text
                match = next((c for c in comments if _same(message, c)), None)
                if match is not None:
                    comments.remove(match)
            session.add(SyncComment(link_id=link.id, message_id=message.id, direction=SyncDirection.IN,
                                    external_id=match.external_id if match else None))
        session.flush()
        self.report.linked += 1
        return link

    def _open(self, session: Session, remote: ExternalTicket, key: str) -> Ticket | None:
        requester = self.directory.users.get(remote.requester_id or "")
        if requester is None:
            self.report.skipped.append(Skipped("ticket", remote.number, f"its requester {remote.requester_id or '-'} "
                                               "has no desk account; run `deskpilot connectors import "
                                               f"{self.connector.name} --only users`"))
            return None
        assignee = self.directory.to_desk("assignee", remote.assignee_id)
        replies = tuple(HistoricalReply(author_id=self.directory.users.get(c.author_id or ""), body=c.body,
                                        internal=not c.public, created_at=c.created_at)
                        for c in remote.comments if c.body.strip())
        answered = next((c.created_at for c in remote.comments if c.public and c.author_id != remote.requester_id),
                        None)
        group = self.directory.to_desk("group", remote.group_id)
        return open_synced(session, actor=self.actor, record=HistoricalTicket(
            external_id=key, subject=(remote.subject or remote.number)[:300], description=remote.description,
            category=remote.category[:120] if remote.category else None,
            queue_id=int(group) if group else None, priority=remote.priority or Priority.P3, channel=Channel.API,
            status=remote.status, created_at=remote.created_at, requester_id=requester,
            assignee_id=int(assignee) if assignee else None, first_responded_at=answered, resolved_at=None,
            resolution=None, replies=replies))

    def _merge(self, session: Session, link: SyncLink, remote: ExternalTicket) -> Push:
        ticket = session.get_one(Ticket, link.ticket_id)
        itsm_now = itsm_values(remote)
        desk_base, itsm_base = dict(link.desk), dict(link.itsm)
        for name, value in link.pending.items():
            if itsm_now.get(name) != itsm_base.get(name):  # the write of an interrupted pass landed
                itsm_base[name], desk_base[name] = itsm_now.get(name), value
                self.report.recovered += 1
        desk_now, held = desk_values(ticket), set[str]()
        to_desk: Values = {}
        to_itsm: Values = {}
        versions = dict(link.versions)
        for name in FIELDS:
            desk_changed, itsm_changed = desk_now[name] != desk_base.get(name), itsm_now[name] != itsm_base.get(name)
            if desk_changed or itsm_changed:
                versions[name] = int(versions.get(name, 0)) + 1
            theirs = self.directory.to_desk(name, itsm_now[name])
            decision = decide(name, desk=desk_now[name], itsm=theirs, desk_changed=desk_changed,
                              itsm_changed=itsm_changed and theirs is not None, ownership=self.ownership)
            self._lose(session, link, decision.lost)
            if decision.to is SyncSide.DESK:
                to_desk[name] = decision.value
            elif decision.to is SyncSide.ITSM and not self.write_back:
                held.add(name)
            elif decision.to is SyncSide.ITSM and (value := self.directory.to_itsm(name, decision.value)):
                to_itsm[name] = value
        ticket = self._apply(session, link, ticket, to_desk)
        after = desk_values(ticket)
        kept = set(to_itsm) | held
        link.desk = {name: desk_base.get(name) if name in kept else after[name] for name in FIELDS}
        link.itsm, link.versions = itsm_now, versions
        link.pending = {name: desk_now[name] for name in to_itsm}
        comments, unsent = self._comments(session, link, ticket, remote)
        self.report.held += len(held) + (0 if self.write_back else unsent)
        if not (to_itsm or comments or held or unsent):
            link.synced_at = utcnow()
        session.flush()
        return Push(link.id, link.external_id, to_itsm, comments)

    def _apply(self, session: Session, link: SyncLink, ticket: Ticket, values: Values) -> Ticket:
        status = values.pop("status", None)
        if values:
            ticket = change_synced(session, actor=self.actor, ticket_id=ticket.id, **desk_changes(values))
            self.report.to_desk += len(values)
        if status is not None:
            try:
                ticket = change_synced(session, actor=self.actor, ticket_id=ticket.id,
                                       **desk_changes({"status": status}))
                self.report.to_desk += 1
            except Conflict:
                self._lose(session, link, Lost("status", str(ticket.status), status, SyncSide.ITSM,
                                               rule=SyncRule.NO_REGRESSION))
        return ticket

    def _lose(self, session: Session, link: SyncLink, lost: Lost | None) -> None:
        if lost is None:
            return
        session.add(SyncConflict(link_id=link.id, field=lost.field, kept=(lost.kept or "")[:200] or None,
                                 lost=(lost.lost or "")[:200] or None, lost_side=lost.side, rule=lost.rule))
        audit.record(session, actor_id=self.actor.user_id, actor_name=self.actor.username,
                     action="ticket.sync_conflict", subject_type="ticket", subject_id=link.ticket_id,
                     before={lost.field: lost.lost, "side": lost.side}, after={lost.field: lost.kept,
                                                                               "rule": lost.rule})
        self.report.conflicts += 1

    def _comments(self, session: Session, link: SyncLink, ticket: Ticket, remote: ExternalTicket
                  ) -> tuple[tuple[tuple[int, str, bool], ...], int]:
        """Append the ITSM's new comments; claim the desk's unsent messages when writing back. Returns the claims to
        write and how many desk messages were not yet sent."""
        rows = list(session.scalars(select(SyncComment).where(SyncComment.link_id == link.id)))
        known = {row.external_id for row in rows if row.external_id}
        messages = {m.id: m for m in ticket.messages}
        unsent = [m for m in ticket.messages if m.id not in {row.message_id for row in rows}]
        claims = [row for row in rows if row.direction is SyncDirection.OUT and row.external_id is None]
        for comment in remote.comments:
            if comment.external_id in known or not comment.body.strip():
                continue
            claim = next((r for r in claims if r.message_id in messages and _same(messages[r.message_id], comment)),
                         None)
            if claim is not None:
                claim.external_id = comment.external_id
                claims.remove(claim)
                self.report.recovered += 1
                continue
            message = append_synced(session, actor=self.actor, ticket_id=ticket.id, body=comment.body,
                                    author_id=self.directory.users.get(comment.author_id or ""),
                                    internal=not comment.public, created_at=comment.created_at)
            session.add(SyncComment(link_id=link.id, message_id=message.id, external_id=comment.external_id,
                                    direction=SyncDirection.IN))
            self.report.comments_in += 1
        if not self.write_back:
            return (), len(unsent)
        for message in unsent:
            claim = SyncComment(link_id=link.id, message_id=message.id, direction=SyncDirection.OUT)
            session.add(claim)
            claims.append(claim)
        session.flush()
        return tuple((c.id, messages[c.message_id].body, messages[c.message_id].kind is MessageKind.PUBLIC_REPLY)
                     for c in claims if c.message_id in messages), len(unsent)

    def _push(self, push: Push) -> None:
        """Write to the ITSM; each write's result is committed on its own, so a failure loses none of them."""
        if push.fields:
            stored = itsm_values(self.connector.update_ticket(push.external_id, itsm_changes(push.fields)))
            with self.units() as session:
                link = session.get_one(SyncLink, push.link_id)
                link.itsm = dict(link.itsm) | {name: stored[name] for name in push.fields}
                link.desk = dict(link.desk) | {name: link.pending.get(name) for name in push.fields}
                link.pending = {}
            self.report.to_itsm += len(push.fields)
        for row_id, body, public in push.comments:
            written = self.connector.add_comment(push.external_id, CommentDraft(body=body, public=public))
            with self.units() as session:
                session.get_one(SyncComment, row_id).external_id = written.external_id
            self.report.comments_out += 1
        with self.units() as session:
            session.get_one(SyncLink, push.link_id).synced_at = utcnow()
