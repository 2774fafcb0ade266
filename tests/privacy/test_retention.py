"""Retention: what is past its period loses its content (text and files) on both databases, the rest stays; a dry
run only counts; a real run is audited; the command, the job and the settings say what they do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from deskpilot import content_store
from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.models import AuditEvent
from deskpilot.channels.email.models import InboundMail
from deskpilot.cli import main
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.data_retention import EXPIRED_TEXT, RetentionKind
from deskpilot.db import unit_of_work
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.jobs.registry import load_jobs
from deskpilot.privacy.retention import apply_retention, retention_days
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket, TicketAttachment, TicketMessage
from tests.factories import make_user
from tests.privacy.conftest import Traces, markers

LONG_AGO = timedelta(days=3000)


def _age_alices_data(traces: Traces) -> None:
    """Alice's ticket closed, her chat, mail and AI decisions, all long ago; Bob's stay recent."""
    alice = traces.desk.alice.id
    then = utcnow() - LONG_AGO
    with unit_of_work(traces.factory) as session:
        session.execute(update(Ticket).where(Ticket.requester_id == alice)
                        .values(status=TicketStatus.CLOSED, closed_at=then))
        session.execute(update(Conversation).where(Conversation.requester_id == alice).values(updated_at=then))
        session.execute(update(InboundMail).where(InboundMail.from_address == traces.desk.alice.email)
                        .values(received_at=then))
        session.execute(update(AiDecision).values(created_at=then))


def _stored_text(session: Session, settings_dir: Path) -> str:
    rows = [*session.scalars(select(Ticket.subject)), *session.scalars(select(Ticket.description)),
            *session.scalars(select(TicketMessage.body)), *session.scalars(select(ConversationMessage.body)),
            *session.scalars(select(InboundMail.body_text)), *session.scalars(select(AiDecision.input_redacted))]
    # Files opened (they are sealed at rest): retention must remove the content, not only hide it.
    files = [content_store.read(path).decode(errors="replace") for path in settings_dir.rglob("*") if path.is_file()]
    return "\n".join([*rows, *files])


def test_data_past_its_period_loses_its_content_and_the_rest_stays(traces: Traces, deskpilot_entry_points: Path
                                                                    ) -> None:
    _age_alices_data(traces)
    alice, bob = markers("alice"), markers("bob")
    with unit_of_work(traces.factory) as session:
        preview = apply_retention(session, settings=traces.settings, actor=Principal.system("t"), now=utcnow(),
                                  dry_run=True)
    counted = {(line.kind, line.owner): (line.records, line.files) for line in preview.lines}
    assert counted[(RetentionKind.CLOSED_TICKETS, "tickets")][0] >= 1
    assert counted[(RetentionKind.CHATS, "conversations")] == (1, 0)
    assert counted[(RetentionKind.RAW_MAIL, "email")] == (1, 2)
    with traces.factory() as session:
        assert alice["portal"] in _stored_text(session, traces.settings.data_dir)

    with unit_of_work(traces.factory) as session:
        done = apply_retention(session, settings=traces.settings, actor=Principal.system("t"), now=utcnow())
    assert not done.dry_run and "closed_tickets/tickets" in done.summary()
    with traces.factory() as session:
        stored = _stored_text(session, traces.settings.data_dir)
        for place in ("portal", "file", "chat", "mail", "mail-file"):
            assert alice[place] not in stored, place
            assert bob[place] in stored, place
        assert session.scalar(select(Ticket.subject).where(Ticket.requester_id == traces.desk.alice.id)) == EXPIRED_TEXT
        assert not session.scalars(select(TicketAttachment).join(Ticket).where(
            Ticket.requester_id == traces.desk.alice.id)).all()
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.retention")).all()
        assert event.after["raw_mail/email"] == {"days": 90, "records": 1, "files": 2}
        assert audit.verify(session).ok
    with unit_of_work(traces.factory) as session:
        again = apply_retention(session, settings=traces.settings, actor=Principal.system("t"), now=utcnow())
    assert again.summary() == "retention removed: nothing past its period"


def test_unknown_kinds_are_named_and_only_privacy_managers_run_retention(session: Session,
                                                                        privacy_settings: Settings) -> None:
    wrong = privacy_settings.model_copy(update={"retention_days": {"tickets": 30}})
    with pytest.raises(InvalidInput, match="unknown kinds tickets; known: ai_decision_inputs"):
        retention_days(wrong)
    kept = retention_days(privacy_settings.model_copy(update={"retention_days": {"chats": 0}}))
    assert kept[RetentionKind.CHATS] == 0 and kept[RetentionKind.RAW_MAIL] == 90
    agent = make_user(session, "agnes", Role.AGENT)
    with pytest.raises(PermissionDenied):
        apply_retention(session, settings=privacy_settings, actor=Principal.of(agent), now=utcnow())


def test_the_command_lists_a_dry_run_and_the_job_is_installed_daily(
        traces: Traces, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        deskpilot_entry_points: Path) -> None:
    _age_alices_data(traces)
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", traces.settings.resolved_database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(traces.settings.data_dir))
    monkeypatch.setenv("DESKPILOT_RETENTION_DAYS", '{"raw_mail": 30, "chats": 0}')
    assert main(["privacy", "retention", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "raw_mail             email               30 days        1      2" in printed
    assert "chats                conversations      for ever        0      0  -" in printed
    assert "retention would remove: " in printed and "(dry run: nothing changed)" in printed
    with traces.factory() as session:
        assert markers("alice")["chat"] in "".join(session.scalars(select(ConversationMessage.body)))
    job = load_jobs()["privacy.retention"]
    assert job.interval(traces.settings) == 86_400.0
