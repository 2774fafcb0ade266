"""The right to erasure reaches every copy: after erasing one person, their name, e-mail, phone and employee
number occur nowhere in a dump of the database, in DATA_DIR (files, indexes, embedding cache, models, the runbook
journal) or in the logs, no vector of a text naming them is left on disk, no other process's KB index holds their
text, the audit chain still verifies, and everybody else's data is as it was. A backup made before the erasure
still holds them, but restoring it erases them again."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import Engine, select

from deskpilot import content_store
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex, chunk_text_for_search
from deskpilot.audit import service as audit
from deskpilot.audit.models import AuditEvent
from deskpilot.backup.service import create_backup, restore_backup
from deskpilot.cli import main
from deskpilot.connectors.enums import OverlayState
from deskpilot.connectors.models import OverlayTicket
from deskpilot.db import unit_of_work
from deskpilot.errors import PermissionDenied
from deskpilot.jobs.base import JobContext
from deskpilot.jobs.registry import get_job, load_jobs
from deskpilot.kb import indexing, workflow
from deskpilot.kb.indexing import IndexHolder
from deskpilot.kb.models import KbArticleFeedback
from deskpilot.kb.schemas import KbArticleCreate
from deskpilot.kb.service import create as create_article
from deskpilot.ml.embeddings import load_embedder
from deskpilot.personal_data import Erasure, Person, identifiers_of
from deskpilot.privacy import erasure
from deskpilot.privacy.enums import ErasureStatus
from deskpilot.privacy.export import find_person
from deskpilot.privacy.models import ErasureRequest
from deskpilot.privacy.sources import all_sources
from deskpilot.runbooks.journal import JournalEvent, RunJournal
from deskpilot.runtime import AiRuntime
from deskpilot.schema import metadata
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.engine import CATEGORY_COMPONENT, store
from deskpilot.triage.training import train_component
from tests.factories import PASSWORD, make_user
from tests.live_files import read_elsewhere
from tests.privacy.conftest import Traces, identity, markers


def _everywhere(person: str) -> list[str]:
    return [*markers(person).values(), *identity(person).values()]


def _plant_copies(traces: Traces, embedder_context: erasure.ErasureContext) -> None:
    """What the fixture's traces do not cover: a vote, an article drafted from Alice's ticket, an agent's note
    naming her on Bob's ticket, a log file, runbook journal entries, overlay notes on ITSM tickets, a trained
    model and a built KB index (with its embedding cache)."""
    settings, desk, alice = traces.settings, traces.desk, identity("alice")
    _plant_journal_and_overlay(traces)
    with unit_of_work(traces.factory) as session:
        article = create_article(session, actor=Principal.of(desk.lena), data=KbArticleCreate(
            slug="printer-jams", title="Printer jams",
            body=f"Drafted from the ticket of {alice['name']} ({alice['employee']}): open tray 2 and pull the "
                 "paper out."))
        workflow.submit(session, actor=Principal.of(desk.lena), article_id=article.id, version=1)
        workflow.approve(session, actor=Principal.of(desk.adam), article_id=article.id, version=1)
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


def _plant_journal_and_overlay(traces: Traces) -> None:
    journal, alice, bob = RunJournal.of(traces.settings), identity("alice"), identity("bob")
    journal.append(JournalEvent.STEP_STARTED, token="run-a", step="unlock", action="directory.unlock",
                   inputs={"user": "alice", "reason": f"{alice['name']} ({alice['employee']}) called"})
    journal.append(JournalEvent.STEP_FINISHED, token="run-a", step="unlock", status="done",
                   output={"message": f"unlocked {alice['email']}, sms to {alice['phone']}"})
    journal.append(JournalEvent.STEP_STARTED, token="run-b", step="unlock", action="directory.unlock",
                   inputs={"user": "bob", "reason": f"{bob['name']} called"})
    with unit_of_work(traces.factory) as session:
        for number, who in (("INC0010001", alice), ("INC0010002", bob)):
            session.add(OverlayTicket(
                connector="servicenow", external_id=f"sys-{number}", number=number, state=OverlayState.WRITTEN,
                note_id=f"note-{number}", kept={"category": "printer"},
                suggested={"category": "printer", "mode": "suggest",
                           "note": f"[deskpilot triage] {number}\nSimilar: DP-3 'Printer of {who['name']}'"}))


Vectors = npt.NDArray[np.float32]


def _naming_vectors(index_dir: Path, context: erasure.ErasureContext, person: str) -> Vectors:
    """The KB index's vectors of the chunks whose text names the person."""
    me = find_erasure(person)
    index = KbIndex.load(indexing.index_path(index_dir), context.embedder)
    rows = [index.vectors.vector(chunk_id).reshape(-1) for chunk_id, chunk in index.chunks.items()
            if me.mentions(chunk_text_for_search(index.documents[chunk.slug], chunk))]
    assert rows, "the index names the person before the erasure"
    return np.stack(rows)


def find_erasure(person: str) -> Erasure:
    """A matcher of the persona's identifiers (no database needed)."""
    me = identity(person)
    someone = Person(0, person, me["email"], me["name"])
    return Erasure(someone, identifiers_of(someone, [me["phone"], me["employee"]]))


def _stored_vectors(root: Path, dimension: int) -> Vectors:
    """Every row of every float array of `dimension` columns in a .npy or .npz file under `root`."""
    arrays: list[npt.NDArray[np.generic]] = [np.load(path, allow_pickle=False) for path in root.rglob("*.npy")]
    for path in root.rglob("*.npz"):
        with np.load(path, allow_pickle=False) as loaded:
            arrays += [loaded[key] for key in loaded.files]
    rows = [np.asarray(a, dtype=np.float32) for a in arrays
            if a.ndim == 2 and a.shape[1] == dimension and a.dtype.kind == "f"]
    return np.concatenate(rows) if rows else np.zeros((0, dimension), dtype=np.float32)


def _left(stored: Vectors, naming: Vectors) -> int:
    """How many of the `naming` vectors are still stored (cosine ≥ 0.9999 to a stored row)."""
    if not len(stored):
        return 0
    unit = stored / np.maximum(np.linalg.norm(stored, axis=1, keepdims=True), 1e-12)
    wanted = naming / np.maximum(np.linalg.norm(naming, axis=1, keepdims=True), 1e-12)
    return int(((wanted @ unit.T).max(axis=1) >= 0.9999).sum())


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


def _holds(index: KbIndex, person: str) -> bool:
    return any(find_erasure(person).mentions(document.text) for document in index.documents.values())


def _assert_erased(traces: Traces, engine: Engine, database_url: str, naming: Vectors, dimension: int) -> None:
    """Alice nowhere (database, its file, DATA_DIR, vectors on disk), the audit chain intact, Bob intact."""
    alice, data_dir = _everywhere("alice"), traces.settings.data_dir
    with unit_of_work(traces.factory) as session:
        assert audit.verify(session).ok
        bob_note = session.scalars(select(OverlayTicket.suggested).where(OverlayTicket.number == "INC0010002")).one()
        assert identity("bob")["name"] in bob_note["note"]
    dump = _sql_dump(engine)
    assert _found(dump, alice) == []
    if database_url.startswith("sqlite"):
        assert _found(read_elsewhere(Path(engine.url.database or "")).decode("latin-1"), alice) == []
    assert _found(_files(data_dir), alice) == []
    assert _left(_stored_vectors(data_dir, dimension), naming) == 0, "a vector of a text naming her is on disk"
    assert store(traces.settings, CATEGORY_COMPONENT).active_version() is None
    bob = _everywhere("bob")
    assert _found(dump, bob) == [m for m in bob if m not in (markers("bob")["file"], markers("bob")["mail-file"])]
    assert _found(_files(data_dir), [markers("bob")["file"], markers("bob")["mail-file"], "bob@northwind.example"])
    assert "run-b" in traces.settings.runbook_journal_path.read_text() and identity("bob")["name"] in \
        traces.settings.runbook_journal_path.read_text()


def test_an_erased_person_occurs_nowhere_while_the_audit_chain_verifies_and_others_are_intact(
        traces: Traces, context: erasure.ErasureContext, engine: Engine, database_url: str, ai_runtime: AiRuntime,
        deskpilot_entry_points: Path, tmp_path: Path) -> None:
    _plant_copies(traces, context)
    alice, data_dir, dimension = _everywhere("alice"), traces.settings.data_dir, context.embedder.dimension
    planted = _found(_sql_dump(engine) + _files(data_dir), alice)
    assert planted == alice
    naming = _naming_vectors(traces.settings.index_dir, context, "alice")
    assert _left(_stored_vectors(data_dir, dimension), naming) == len(naming)
    other_process = IndexHolder(traces.settings.index_dir, context.embedder)  # another app process's holder
    with unit_of_work(traces.factory) as session:
        assert _holds(other_process.current(session), "alice")
    backup = tmp_path / "before-the-erasure.tar.gz"
    create_backup(traces.settings, output=backup, progress=_quiet)
    with unit_of_work(traces.factory) as session:
        ada = make_user(session, "ada", Role.ADMIN)
        person = find_person(session, reference="alice@northwind.example")
        planned = erasure.plan(session, context, actor=Principal.of(traces.desk.adam), person=person)
        request = erasure.request(session, actor=Principal.of(traces.desk.adam), person=person,
                                  identifiers=[identity("alice")["phone"], identity("alice")["employee"]])
    by_kind = {(change.source, change.kind): change.count for change in planned}
    assert by_kind[("tickets", "tickets")] == 2 and by_kind[("email", "received")] == 1
    assert by_kind[("knowledge", "article_feedback")] == 1 and by_kind[("models", "triage-category/v0001")] == 1
    assert by_kind[("automations", "runbook_journal_entries")] == 2 and by_kind[("backups", "erasure_ledger")] == 1
    assert by_kind[("connectors", "overlay_tickets")] == 1 and by_kind[("connectors", "itsm_notes:servicenow")] == 1
    assert by_kind[("indexes", "kb_index_in_memory")] == 1
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
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "privacy.erasure_done"))
        erased = session.get_one(User, person.user_id)
        assert (erased.username, erased.is_active) == (f"erased-{person.user_id}", False)
        assert not _holds(other_process.current(session), "alice"), "the other process dropped the old text"
    _assert_erased(traces, engine, database_url, naming, dimension)

    # The backup made before still holds her; restoring it erases her again, from the ledger.
    restore_backup(traces.settings, source=backup, force=True, progress=_quiet)
    with unit_of_work(traces.factory) as session:
        assert session.get_one(User, person.user_id).username == "alice"
    assert erasure.erase_again(traces.factory, context, progress=_quiet) == 1
    _assert_erased(traces, engine, database_url, naming, dimension)


def _quiet(_line: str) -> None:
    """Progress lines are for people; this test looks at outcomes."""


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
