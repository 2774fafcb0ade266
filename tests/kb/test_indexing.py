"""The retrieval index follows the approved knowledge base: approve adds or replaces, retire removes."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.cli import main
from deskpilot.db import session_factory
from deskpilot.kb import indexing, service, workflow
from deskpilot.kb.models import KbArticle
from deskpilot.kb.schemas import KbVersionCreate
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.multilingual import MODEL_ID as MULTILINGUAL_MODEL_ID
from deskpilot.ml.multilingual import load_multilingual_embedder
from tests.factories import Desk
from tests.kb.conftest import demo_holder, publish, write_article

PRINTER = "**Applies to:** Ricoh printers.\n\n## Steps\n\n1. Open PaperCut.\n2. Release the job at the printer.\n"


def test_index_holds_only_approved_versions_and_follows_the_workflow(session: Session, desk: Desk,
                                                                      embedder: Embedder, tmp_path: Path) -> None:
    holder = indexing.IndexHolder(tmp_path, embedder)
    vpn = publish(session, desk)
    publish(session, desk, slug="printer-release", title="Release a print job", body=PRINTER)
    write_article(session, Principal.of(desk.carol), slug="draft-wifi", title="Wi-Fi draft", body="Draft only.")
    index = holder.current(session)
    assert {s: d.version for s, d in index.documents.items()} == {"vpn-connect": 1, "printer-release": 1}
    assert (tmp_path / "kb" / "manifest.json").is_file()

    carol, lena = Principal.of(desk.carol), Principal.of(desk.lena)
    service.add_version(session, actor=carol, article_id=vpn.id, data=KbVersionCreate(
        body="**Applies to:** GlobalProtect.\n\n## Steps\n\n1. Reinstall GlobalProtect from Company Portal.\n"))
    workflow.submit(session, actor=carol, article_id=vpn.id, version=2)
    assert holder.current(session).documents["vpn-connect"].version == 1  # in review: not yet
    workflow.approve(session, actor=lena, article_id=vpn.id, version=2)
    index = holder.current(session)
    assert index.documents["vpn-connect"].version == 2
    assert {c.version for c in index.chunks_of("vpn-connect")} == {2}

    hits = HybridRetriever(index).search(RetrievalQuery("reinstall globalprotect company portal")).hits
    assert hits[0].slug == "vpn-connect" and hits[0].chunks[0].chunk.version == 2

    workflow.retire(session, actor=lena, article_id=vpn.id, reason="replaced")
    index = holder.current(session)
    assert set(index.documents) == {"printer-release"}
    assert all(c.slug != "vpn-connect" for c in index.chunks.values())
    hits = HybridRetriever(index).search(RetrievalQuery("globalprotect vpn")).hits
    assert [h.slug for h in hits] == ["printer-release"]

    reloaded = indexing.IndexHolder(tmp_path, embedder).current(session)
    assert set(reloaded.documents) == {"printer-release"}



def test_a_change_never_touches_the_index_other_requests_are_searching(session: Session, desk: Desk,
                                                                         embedder: Embedder, tmp_path: Path) -> None:
    holder = indexing.IndexHolder(tmp_path, embedder)
    publish(session, desk)
    searching = holder.current(session)
    assert holder.current(session) is searching  # nothing changed: the same index, no copy
    publish(session, desk, slug="printer-release", title="Release a print job", body=PRINTER)
    changed = holder.current(session)
    assert changed is not searching
    assert set(searching.documents) == {"vpn-connect"}
    assert all(c.slug == "vpn-connect" for c in searching.chunks.values())
    assert [h.slug for h in HybridRetriever(searching).search(RetrievalQuery("release print job")).hits] == [
        "vpn-connect"]
    assert set(changed.documents) == {"vpn-connect", "printer-release"}
    assert changed.embedder is searching.embedder


def test_a_request_does_not_wait_for_another_ones_history_refresh_but_does_for_an_approved_change(
        session: Session, desk: Desk, embedder: Embedder, tmp_path: Path) -> None:
    holder = indexing.IndexHolder(tmp_path, embedder, history_refresh_seconds=0)
    publish(session, desk)
    searching = holder.current(session)
    # Another request is refreshing (it holds the lock): with only the history due, this one searches what it has.
    with holder._lock:  # noqa: SLF001 - standing in for a request busy learning the history
        assert holder.current(session) is searching
    publish(session, desk, slug="printer-release", title="Release a print job", body=PRINTER)
    assert set(holder.current(session).documents) == {"vpn-connect", "printer-release"}


class _HeldEmbedder:
    """The real embedder, held at its first texts until released: a warm-up still loading the index."""

    def __init__(self, embedder: Embedder) -> None:
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self._embedder = embedder
        self.embedding, self.released = threading.Event(), threading.Event()

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        self.embedding.set()
        self.released.wait(timeout=60)
        return self._embedder.encode(texts, batch_size=batch_size)


def test_the_first_request_sees_the_articles_approved_while_the_warm_up_loaded_the_index(
        session: Session, desk: Desk, embedder: Embedder, engine: Engine, tmp_path: Path) -> None:
    publish(session, desk)
    session.commit()
    held = _HeldEmbedder(embedder)
    holder = indexing.IndexHolder(tmp_path, held)
    sessions = session_factory(engine)

    def warm() -> None:
        with sessions() as warming:
            holder.current(warming)

    warm_up = threading.Thread(target=warm)
    warm_up.start()
    assert held.embedding.wait(timeout=60)  # the warm-up loads what it read: the VPN article only
    publish(session, desk, slug="printer-release", title="Release a print job", body=PRINTER)
    session.commit()
    began, seen = threading.Event(), {}

    def ask() -> None:
        with sessions() as asking:
            event.listen(asking, "after_begin", lambda *_: began.set())
            seen["slugs"] = set(holder.current(asking).documents)

    request = threading.Thread(target=ask)
    request.start()
    assert began.wait(timeout=60)
    time.sleep(0.3)  # the request, having found no index yet, now waits for the warm-up's lock
    held.released.set()
    warm_up.join(timeout=120)
    request.join(timeout=120)
    assert seen["slugs"] == {"vpn-connect", "printer-release"}


def test_reindex_command_rebuilds_from_the_database(session: Session, desk: Desk, database_url: str,
                                                    embedder: Embedder, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    publish(session, desk)
    session.commit()
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(tmp_path))
    assert main(["kb", "reindex"]) == 0
    out = capsys.readouterr().out
    assert "1 approved articles" in out and "embedded 3/3 new texts" in out
    multilingual = load_multilingual_embedder(MULTILINGUAL_MODEL_ID)
    saved = indexing.IndexHolder(tmp_path / "index", embedder, multilingual=multilingual).current(session)
    assert saved.ml_vectors is not None and len(saved.ml_vectors) == len(saved.chunks)  # app processes load them
    assert (tmp_path / "index" / "kb" / "manifest.json").is_file()
    # Computed at the rebuild, so a desk started on this index answers its first German question at once.
    assert (tmp_path / "index" / "kb" / "ml_vectors").is_dir()
    monkeypatch.setenv("DESKPILOT_ANN_MIN_CHUNKS", "1")
    assert main(["kb", "reindex"]) == 0
    assert "embedded" not in capsys.readouterr().out
    assert (tmp_path / "index" / "kb" / "vectors" / "tier-000.faiss").is_file()
    export_dir = tmp_path / "export"
    assert main(["kb", "export", str(export_dir)]) == 0
    assert [p.name for p in export_dir.iterdir()] == ["vpn-connect.md"]
    assert main(["kb", "import", str(export_dir)]) == 0
    assert "1 unchanged" in capsys.readouterr().out


def test_warming_computes_and_saves_the_multilingual_vectors_before_any_question(
        session: Session, desk: Desk, embedder: Embedder, tmp_path: Path) -> None:
    multilingual = load_multilingual_embedder(MULTILINGUAL_MODEL_ID)
    publish(session, desk)
    publish(session, desk, slug="printer-release", title="Release a print job", body=PRINTER)
    holder = indexing.IndexHolder(tmp_path, embedder, multilingual=multilingual)
    index = holder.current(session)
    holder.warm(index)
    assert index.ml_vectors is not None and len(index.ml_vectors) == len(index.chunks)
    reloaded = indexing.IndexHolder(tmp_path, embedder, multilingual=multilingual).current(session)
    assert reloaded.ml_vectors is not None and len(reloaded.ml_vectors) == len(index.chunks)


def test_an_index_saved_without_tags_gets_them_and_a_tag_change_reaches_it_without_a_new_version(
        session: Session, desk: Desk, embedder: Embedder, demo_index: Path, tmp_path: Path) -> None:
    index = demo_holder(session, desk, embedder, demo_index, tmp_path).current(session)
    article = session.scalars(select(KbArticle).order_by(KbArticle.slug)).first()
    assert article is not None and article.tags
    assert index.documents[article.slug].tags == tuple(article.tags)
    article.tags = ["renamed-tag"]
    session.flush()
    assert indexing.article_changes(session, index=index).added == [article.slug]
    indexing.sync(session, index=index)
    assert index.documents[article.slug].tags == ("renamed-tag",) and index.documents[article.slug].version == 1
