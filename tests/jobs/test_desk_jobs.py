"""The desk's own jobs, found through this checkout's entry points, do what the CLI commands do."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts.enums import Role
from deskpilot.channels.email.enums import OutboundStatus
from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.channels.email.smtp import receive
from deskpilot.cli import main
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.db import session_factory, unit_of_work
from deskpilot.jobs.registry import load_jobs
from deskpilot.jobs.worker import RunOutcome, RunStatus, Worker
from deskpilot.runtime import AiRuntime
from deskpilot.tickets.models import EscalationNotice, Ticket
from deskpilot.tickets.setup_schemas import EscalationLevelIn, EscalationTrigger
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import Dovecot, SmtpSink, mail
from tests.conftest import FrozenClock
from tests.factories import make_desk, make_queue, make_sla, make_team, open_ticket


@pytest.fixture
def sessions(session: Session, engine: Engine) -> sessionmaker[Session]:
    session.close()
    return session_factory(engine)


def test_worker_once_sends_the_outbox_and_sweeps_slas_like_the_cli_commands(
        deskpilot_entry_points: Path, monkeypatch: pytest.MonkeyPatch, mail_settings: Settings,
        sessions: sessionmaker[Session], smtp_sink: SmtpSink, clock: FrozenClock,
        capsys: pytest.CaptureFixture[str],
        mail_triage: TriageEngine) -> None:
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin: business hours
    with unit_of_work(sessions) as db:
        desk = make_desk(db)
        queue = make_queue(db, "Escalating", make_team(db, "L2"), escalation=[
            EscalationLevelIn(level=1, trigger=EscalationTrigger.NEAR_BREACH, notify_role=Role.LEAD)])
        make_sla(db, first_response=100, resolution=1000)
        ticket_id = open_ticket(db, desk, desk.alice, queue=queue).id
    clock.advance(minutes=90)
    assert receive(sessions, settings=mail_settings, triage=mail_triage, raw=mail()).ticket_id is not None
    for name, value in {"DATABASE_URL": mail_settings.database_url, "DATA_DIR": str(mail_settings.data_dir),
                        "MAIL_ADDRESS": mail_settings.mail_address, "MAIL_SMTP_HOST": smtp_sink.host,
                        "MAIL_SMTP_PORT": str(smtp_sink.port)}.items():
        monkeypatch.setenv(f"DESKPILOT_{name}", value)

    assert main(["worker", "--once"]) == 0

    out = capsys.readouterr().out
    assert "mail.send [succeeded] attempt 1: mail send: 1 sent, 0 to retry, 0 failed" in out
    sweep_line = next(line for line in out.splitlines() if line.startswith("sla.sweep [succeeded] attempt 1"))
    assert sweep_line.endswith("open tickets: 1 near breach, 0 breached, 1 escalation notice(s) raised")
    assert "mail.poll" not in out.split("\n", 1)[1], "no mailbox is configured, so nothing polls"
    assert [m["Auto-Submitted"] for m in smtp_sink.received] == ["auto-replied"]
    with sessions() as db:
        assert db.scalars(select(OutboundMail.status)).all() == [OutboundStatus.SENT]
        assert db.scalars(select(EscalationNotice.ticket_id)).all() == [ticket_id]


def test_the_mail_poll_job_takes_new_mail_once_across_runs(
        deskpilot_entry_points: Path, imap_settings: Settings, dovecot: Dovecot,
        sessions: sessionmaker[Session],
        ai_runtime: AiRuntime) -> None:
    dovecot.append(imap_settings.mail_mailboxes[0].folder, mail(subject="VPN drops every hour"))
    outcomes: list[RunOutcome] = []
    jobs = {"mail.poll": load_jobs()["mail.poll"]}

    for _ in range(2):
        worker = Worker(jobs=jobs, settings=imap_settings, runtime=ai_runtime, sessions=sessions,
                        report=outcomes.append)
        worker.run(threading.Event(), once=True)

    assert [o.summary for o in outcomes] == ["mail poll: 1 mail(s) taken (ticket_created: 1)",
                                             "mail poll: 0 mail(s) taken"]
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(InboundMail)) == 1
        assert db.scalars(select(Ticket.subject)).all() == ["VPN drops every hour"]


def test_a_mailbox_that_cannot_be_reached_makes_the_poll_job_retry(
        deskpilot_entry_points: Path, imap_settings: Settings, sessions: sessionmaker[Session],
        ai_runtime: AiRuntime) -> None:
    mailbox = imap_settings.mail_mailboxes[0].model_copy(update={"port": 1})
    settings = imap_settings.model_copy(update={"mail_mailboxes": [mailbox]})
    outcomes: list[RunOutcome] = []
    worker = Worker(jobs={"mail.poll": load_jobs()["mail.poll"]}, settings=settings, runtime=ai_runtime,
                    sessions=sessions,
                    report=outcomes.append)

    worker.schedule_due(utcnow())
    worker.run_due(threading.Event())

    assert [o.status for o in outcomes] == [RunStatus.RETRYING]
    assert "support" in outcomes[0].summary and len(worker.queue) == 1


def test_jobs_list_shows_each_installed_job_with_its_configured_schedule(
        deskpilot_entry_points: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DESKPILOT_JOB_INTERVALS", '{"sla.sweep": 120}')

    assert main(["jobs", "list"]) == 0

    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "every 120 s" in lines["sla.sweep"]
    assert "when enqueued" in lines["mail.poll"] and "up to 3 attempt(s)" in lines["mail.poll"]
    assert "when enqueued" in lines["mail.send"]
