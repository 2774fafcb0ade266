"""The AI runtime: the embedder, the KB index holder, the triage engine, the chat's intent model, the reset
examples' vectors and the optional rephraser,
built once per process from `Settings` by whatever starts it (the app factory, a CLI command, the e-mail
poller) and passed down. Any channel builds the chat assistant from it and a session; no HTTP request needed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from deskpilot.assist.compose import shipped_scorer
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.spans import shared_unit_vectors, warm_unit_vectors
from deskpilot.assist.verifier import LlmRephraser, Rephraser
from deskpilot.config import Settings
from deskpilot.conversations import error_messages, intents, spelling
from deskpilot.conversations.flow import Assistant
from deskpilot.conversations.password_help import ResetIntent
from deskpilot.governance import ai_settings
from deskpilot.kb.indexing import IndexHolder
from deskpilot.ml.embeddings import Embedder, load_embedder
from deskpilot.ml.llm_client import LlmClient
from deskpilot.ml.multilingual import load_multilingual_embedder
from deskpilot.runbooks.mailer import Mailer
from deskpilot.runbooks.steps import DirectoryFactory
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.language import detect_language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AiRuntime:
    """The process's AI parts; built once by `build_runtime`."""

    settings: Settings
    embedder: Embedder
    kb: IndexHolder
    triage: TriageEngine
    reset_intent: ResetIntent
    intents: intents.IntentModel
    rephraser: Rephraser | None = None


def build_runtime(settings: Settings) -> AiRuntime:
    """Load the configured embedders (`DESKPILOT_EMBEDDING_MODEL`, and `DESKPILOT_MULTILINGUAL_MODEL` for
    questions not in English: each once per process) and set up everything that uses them."""
    embedder = load_embedder(settings.embedding_model)
    # Refused here, at start-up, when the configured embedder is not the one the span scorer was trained with.
    shipped_scorer(embedder.model_id)
    multilingual = load_multilingual_embedder(settings.multilingual_model)
    client = LlmClient.from_settings(settings)
    return AiRuntime(settings=settings, embedder=embedder,
                     kb=IndexHolder(settings.index_dir, embedder, multilingual=multilingual,
                                    ann_min_chunks=settings.ann_min_chunks),
                     triage=TriageEngine(settings, embedder),
                     reset_intent=ResetIntent.embedded_by(embedder),
                     intents=intents.load_or_train(settings, embedder),
                     rephraser=LlmRephraser(client) if client else None)


def warm_in_background(runtime: AiRuntime, sessions: sessionmaker[Session]) -> threading.Thread:
    """Load the KB index and its multilingual vectors, then triage's models, then what answering builds once
    (`warm_answering`), in a daemon thread (started here),
    so that no requester waits for them: the server answers meanwhile, and a question that comes first just does
    the work itself. (Every question arriving while one builds triage's classifiers waits for it in an open
    transaction: under chat load a fresh process held 30 database connections idle for 40 s that way.)"""
    def warm() -> None:
        try:
            with sessions() as session:
                index = runtime.kb.current(session)
            runtime.kb.warm(index)
        except Exception as exc:  # noqa: BLE001 - a failed warm-up costs only the first question's wait
            log.warning("the KB index was not warmed in advance (%s); the first question loads it", exc)
        try:
            with sessions() as session:
                runtime.triage.warm(session)
        except Exception as exc:  # noqa: BLE001 - as above
            log.warning("triage was not warmed in advance (%s); the first triage does it", exc)
        try:
            with sessions() as session:
                index = runtime.kb.current(session)
            warm_answering(index)
        except Exception as exc:  # noqa: BLE001 - as above
            log.warning("answering was not warmed in advance (%s); the first questions do it", exc)

    thread = threading.Thread(target=warm, name="deskpilot-warm-kb", daemon=True)
    thread.start()
    return thread


def warm_answering(index: KbIndex) -> None:
    """Build now what a process's first questions would build in the requester's turn, once per process: the
    typo vocabulary of `index`, the sentence vectors of its articles' units (for the span scorer), the error
    steps of its articles and the language detector. Profiled on the demo desk, a fresh process's first
    question cost 0.9 s of CPU (the next two 0.2 s each) against 0.05 s once these were built."""
    spelling.vocabulary_of(index)
    error_messages.read_articles(index.documents.values())
    detect_language("Warming up the language detector")
    units = warm_unit_vectors(shared_unit_vectors(index.embedder), index.chunks.values())
    log.info("answering warmed: typo vocabulary, error steps and %d sentence vectors ready", units)


def chat_assistant(runtime: AiRuntime, session: Session, *, mailer: Mailer | None = None,
                   directory_factory: DirectoryFactory | None = None) -> Assistant:
    """The chat assistant for one turn of any channel, with the settings in force (administrators' overrides
    applied); the KB index is synced inside `session`'s transaction."""
    settings = ai_settings.effective(session, runtime.settings)
    return Assistant(index=runtime.kb.current(session), settings=settings, reset_intent=runtime.reset_intent,
                     triage=runtime.triage, intents=runtime.intents,
                     rephraser=runtime.rephraser if settings.answer_rephrase else None, mailer=mailer,
                     directory_factory=directory_factory)
