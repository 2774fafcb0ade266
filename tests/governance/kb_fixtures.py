"""A small approved KB from the demo articles, a replay set of answer cases on it, and the parts the gate needs
(settings, the session's embedder, an index holder of the test's own), for the KB and settings gate tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex
from deskpilot.config import Environment, Settings
from deskpilot.governance import replay_sets
from deskpilot.kb import service, workflow
from deskpilot.kb.answering import answer_question
from deskpilot.kb.indexing import IndexHolder
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.kb.schemas import KbVersionCreate
from deskpilot.runtime import AiRuntime
from tests.conversations.conftest import ABSTAIN_BELOW, load_chat_kb
from tests.factories import Desk

# Questions the live KB answers from the expected article (the replay set's answer cases).
CASES = (("How do I add the follow-me printer to my laptop?", "printer-add"),
         ("Outlook is not receiving new e-mail", "outlook-not-syncing"),
         ("How do I connect to the company VPN on Windows?", "vpn-connect-windows"))
PRINTER_QUESTION = CASES[0][0]
CANTEEN = """**Applies to:** everyone in the head office.

## Opening hours

The canteen opens at 08:00 and serves lunch from 11:30 to 14:00. Vegetarian dishes are marked green.
"""


@dataclass(frozen=True)
class GateParts:
    settings: Settings
    runtime: AiRuntime
    holder: IndexHolder

    def index(self, session: Session) -> KbIndex:
        return self.holder.current(session)


def gate_parts(session: Session, ai_runtime: AiRuntime, tmp_path: Path) -> GateParts:
    """The chat KB approved, and a runtime whose index holder and settings are this test's own."""
    load_chat_kb(session)
    session.commit()
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "var", answer_abstain_below=ABSTAIN_BELOW)
    holder = IndexHolder(settings.index_dir, ai_runtime.embedder)
    return GateParts(settings, dataclasses.replace(ai_runtime, settings=settings, kb=holder), holder)


def answer_cases_set(session: Session, lead: Principal) -> None:
    """A replay set of the answer cases in CASES (imported as a lead's curated file)."""
    content = "kind,question,article\n" + "".join(f"answer,{q},{slug}\n" for q, slug in CASES)
    replay_sets.import_file(session, actor=lead, name="answers.csv", content=content)
    session.commit()


def submit_version(session: Session, desk: Desk, slug: str, *, title: str, body: str) -> KbArticleVersion:
    """A new version of `slug` written by carol (agent) and sent for review."""
    carol = Principal.of(desk.carol)
    article = session.query(KbArticle).filter_by(slug=slug).one()
    version = service.add_version(session, actor=carol, article_id=article.id,
                                  data=KbVersionCreate(title=title, body=body, change_note="reworded"))
    workflow.submit(session, actor=carol, article_id=article.id, version=version.version)
    session.commit()
    return version


def chat_answer(session: Session, parts: GateParts, desk: Desk, question: str) -> tuple[str, list[str]]:
    """What the chat's answering step says to `question` now: the answer text and the articles cited."""
    outcome = answer_question(session, actor=Principal.of(desk.alice), index=parts.index(session), question=question,
                              abstain_below=parts.settings.answer_abstain_below)
    return outcome.answer.text, [s.slug for s in outcome.sources]
