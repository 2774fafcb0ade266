"""The right to erasure reaches every copy: after erasing one person, their name, e-mail, phone and employee
number occur nowhere in a dump of the database, in DATA_DIR (files, indexes, models) or in the logs, the audit
chain still verifies, and everybody else's data is as it was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from deskpilot import content_store
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.audit.models import AuditEvent
from deskpilot.cli import main
from deskpilot.db import unit_of_work
from deskpilot.errors import PermissionDenied
from deskpilot.jobs.base import JobContext
from deskpilot.jobs.registry import get_job, load_jobs
from deskpilot.kb import indexing
from deskpilot.kb.models import KbArticleFeedback
from deskpilot.kb.schemas import KbArticleCreate
from deskpilot.kb.service import create as create_article
from deskpilot.ml.embeddings import load_embedder
from deskpilot.privacy import erasure
from deskpilot.privacy.enums import ErasureStatus
from deskpilot.privacy.export import find_person
from deskpilot.privacy.models import ErasureRequest
from deskpilot.privacy.sources import all_sources
from deskpilot.runtime import AiRuntime
from deskpilot.schema import metadata
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.engine import CATEGORY_COMPONENT, store
from deskpilot.triage.training import train_component
from tests.factories import PASSWORD, make_user
from tests.privacy.conftest import Traces, identity, markers


def _everywhere(person: str) -> list[str]:
    return [*markers(person).values(), *identity(person).values()]


def _plant_copies(traces: Traces, embedder_context: erasure.ErasureContext) -> None:
    """What the fixture's traces do not cover: a vote, an article drafted from Alice's ticket, an agent's note
    naming her on Bob's ticket, a log file, a trained model and a built KB index."""
    settings, desk, alice = traces.settings, traces.desk, identity("alice")
    with unit_of_work(traces.factory) as session:
        article = create_article(session, actor=Principal.of(desk.lena), data=KbArticleCreate(
            slug="printer-jams", title="Printer jams",
            body=f"Drafted from the ticket of {alice['name']} ({alice['employee']}): open tray 2 and pull the "
                 "paper out."))
        session.add(KbArticleFeedback(article_id=article.id, version=1, helpful=True, user_id=desk.alice.id))
        bob_ticket = session.scalars(select(Ticket.id).where(Ticket.requester_id == desk.bob.id)).first()
        assert bob_ticket is not None
        tickets.add_message(session, actor=Principal.of(desk.carol), ticket_id=bob_ticket, data=MessageCreate(
            body=f"Same printer as {alice['name']} on floor 2", kind=MessageKind.INTERNAL_NOTE))
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "deskpilot.log").write_text(
        f"INFO sign-in {alice['email']} from 10.0.0.7\nINFO sms to {alice['phone']}\n"
        "INFO sign-in bob@northwind.example\n")
    texts = [f"printer jams for {alice['name']} {alice['employee']}",
             *(f"printer jams on floor {n}" for n in range(5)), *(f"vpn drops at site {n}" for n in range(6))]
    train_component(settings, CATEGORY_COMPONENT, texts, ["printer"] * 6 + ["network"] * 6,
                    embedder=embedder_context.embedder, promote=True, progress=lambda _message: None)
    with unit_of_work(traces.factory) as session:
        indexing.rebuild(session, index_dir=settings.index_dir, embedder=embedder_context.embedder)


def _sql_dump(engine: Engine) -> str:
    """Every row of every table as text, the way `pg_dump --data-only` would list them."""
    with engine.connect() as connection:
        return "\n".join(repr(row) for table in metadata.sorted_tables for row in connection.execute(
            select(table)))


def _files(root: Path) -> str:
    """Every file's content, sealed files opened: erasure must remove a person even for whoever holds the keys."""
    return "\n".join(content_store.read(path).decode("latin-1") for path in sorted(root.rglob("*"))
                     if path.is_file())


def _found(haystack: str, needles: list[str]) -> list[str]:
    lowered = haystack.lower()
    return [needle for needle in needles if needle.lower() in lowered]


@pytest.fixture
def context(traces: Traces, deskpilot_entry_points: Path) -> erasure.ErasureContext:
    del deskpilot_entry_points  # this checkout's sources, as an install of it would register them
    return erasure.ErasureContext(settings=traces.settings, embedder=load_embedder(traces.settings.embedding_model),
                                  sources=all_sources())


def test_an_erased_person_occurs_nowhere_while_the_audit_chain_verifies_and_others_are_intact(
        traces: Traces, context: erasure.ErasureContext, engine: Engine, database_url: str, ai_runtime: AiRuntime,
        deskpilot_entry_points: Path) -> None:
    _plant_copies(traces, context)
    alice, data_dir = _everywhere("alice"), traces.settings.data_dir
    planted = _found(_sql_dump(engine) + _files(data_dir), alice)
    assert planted == alice
    with unit_of_work(traces.factory) as session:
        ada = make_user(session, "ada", Role.ADMIN)
        person = find_person(session, reference="alice@northwind.example")
        planned = erasure.plan(session, context, actor=Principal.of(traces.desk.adam), person=person)
        request = erasure.request(session, actor=Principal.of(traces.desk.adam), person=person,
                                  identifiers=[identity("alice")["phone"], identity("alice")["employee"]])
    by_kind = {(change.source, change.kind): change.count for change in planned}
    assert by_kind[("tickets", "tickets")] == 2 and by_kind[("email", "received")] == 1
    assert by_kind[("knowledge", "article_feedback")] == 1 and by_kind[("models", "triage-category/v0001")] == 1
    assert _found(_sql_dump(engine) + _files(data_dir), alice) == planted, "the dry run changed nothing"
    with unit_of_work(traces.factory) as session, pytest.raises(PermissionDenied, match="another administrator"):
        erasure.approve(session, actor=Principal.of(traces.desk.adam), erasure_id=request.id)
    with unit_of_work(traces.factory) as session:
        erasure.approve(session, actor=Principal.of(ada), erasure_id=request.id)
    # A crash after two steps: the job resumes at the third, and nothing is done twice.
    for _ in range(2):
        with unit_of_work(traces.factory) as session:
            erasure.run_next_step(session, context, erasure_id=request.id)
    job = get_job(load_jobs(), "privacy.erase")
    assert job.run(JobContext(settings=traces.settings, runtime=ai_runtime, sessions=traces.factory,
                              idempotency_key="privacy.erase:test"), {}) == "erased 1 person(s)"

    with unit_of_work(traces.factory) as session:
        done = erasure.get(session, erasure_id=request.id)
        assert done.status == ErasureStatus.DONE and done.identifiers == []
        assert len(done.done_steps) == len(set(done.done_steps)) == len(context.steps())
        assert audit.verify(session).ok
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "privacy.erasure_done"))
        erased = session.get_one(User, person.user_id)
        assert (erased.username, erased.is_active) == (f"erased-{person.user_id}", False)
    dump = _sql_dump(engine)
    assert _found(dump, alice) == []
    if database_url.startswith("sqlite"):
        assert _found(Path(engine.url.database or "").read_bytes().decode("latin-1"), alice) == []
    assert _found(_files(data_dir), alice) == []
    assert store(traces.settings, CATEGORY_COMPONENT).active_version() is None
    bob = _everywhere("bob")
    assert _found(dump, bob) == [m for m in bob if m not in (markers("bob")["file"], markers("bob")["mail-file"])]
    assert _found(_files(data_dir), [markers("bob")["file"], markers("bob")["mail-file"], "bob@northwind.example"])


def test_the_command_dry_runs_as_the_local_admin_and_needs_two_authenticated_admins_to_erase(
        traces: Traces, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        deskpilot_entry_points: Path) -> None:
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", traces.settings.resolved_database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(traces.settings.data_dir))
    with unit_of_work(traces.factory) as session:
        make_user(session, "ada", Role.ADMIN)
    assert main(["privacy", "erase", "alice", "--dry-run", "--identifier", "EMP-58213"]) == 0
    assert "email" in capsys.readouterr().out
    assert main(["privacy", "erase", "alice"]) == 2
    assert "--as USER" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["privacy", "erase", "alice", "--as", "adam", "--password-stdin"]) == 0
    assert "approve-erasure" in capsys.readouterr().out
    with unit_of_work(traces.factory) as session:
        request_id = session.scalars(select(ErasureRequest.id)).one()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["privacy", "approve-erasure", str(request_id), "--as", "adam", "--password-stdin"]) != 0
    assert "another administrator" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["privacy", "approve-erasure", str(request_id), "--as", "ada", "--password-stdin"]) == 0
    assert main(["privacy", "erasures", "alice"]) == 0
    assert f"erasure {request_id}: approved, requested by adam, approved by ada" in capsys.readouterr().out
