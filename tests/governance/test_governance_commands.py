"""`deskpilot replay run --candidate kb:... | settings:...`, `deskpilot kb-changes` and `deskpilot review` as an
operator uses them: refusals exit non-zero with the regressions, an override and a rollback are audited."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.cli import main
from deskpilot.kb.models import KbArticle
from deskpilot.runtime import AiRuntime
from tests.conversations.conftest import desk  # noqa: F401 - fixture of these tests
from tests.factories import Desk
from tests.governance.kb_fixtures import (
    CANTEEN,
    PRINTER_QUESTION,
    answer_cases_set,
    chat_answer,
    gate_parts,
    submit_version,
)


def test_kb_change_sets_and_reviews_from_the_command_line(
        session: Session, desk: Desk, ai_runtime: AiRuntime, tmp_path: Path, database_url: str,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    parts = gate_parts(session, ai_runtime, tmp_path)
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(parts.settings.data_dir))
    monkeypatch.setenv("DESKPILOT_ANSWER_ABSTAIN_BELOW", str(parts.settings.answer_abstain_below))
    answer_cases_set(session, Principal.of(desk.lena))
    before = chat_answer(session, parts, desk, PRINTER_QUESTION)
    submit_version(session, desk, "printer-add", title="Canteen opening hours", body=CANTEEN)
    capsys.readouterr()

    assert main(["replay", "run", "--candidate", "kb:printer-add", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["component"] == "kb" and report["answers"]["by_intent"]["printer-add"]["delta_points"] == -100.0
    assert main(["replay", "run", "--candidate", "kb:no-such-article"]) == 2
    assert "no version in review for no-such-article" in capsys.readouterr().err
    assert main(["replay", "run", "--candidate", "settings:answer_abstain_below=1.5"]) == 2
    assert "answer_abstain_below='1.5'" in capsys.readouterr().err

    assert main(["kb-changes", "approve", "printer-add", "--by", "lena"]) == 2
    assert "answers for printer-add: deflection 100.0% → 0.0%" in capsys.readouterr().err
    assert main(["kb-changes", "approve", "printer-add", "--by", "lena", "--override-reason", "facilities"]) == 0
    approved = capsys.readouterr().out
    assert "overriding the replay gate: facilities" in approved
    change_set = re.search(r"KB change set (\d+) approved", approved)
    assert change_set is not None  # one test database serves the run: its id is not always 1
    rollback = ["kb-changes", "rollback", change_set.group(1), "--by", "lena", "--reason", "printers stay with IT"]
    assert main(rollback) == 0
    assert "printer-add v2 → v1" in capsys.readouterr().out
    session.expire_all()
    assert session.query(KbArticle).filter_by(slug="printer-add").one().approved_version == 1
    assert chat_answer(session, parts, desk, PRINTER_QUESTION) == before
    session.commit()
    actions = [e.action for e in audit.get_all(session, subject_type="kb_change_set")[0]]
    assert actions == ["kb.change_set_rolled_back", "kb.change_set_approved_with_override", "kb.change_set_refused"]

    assert main(["review", "sample", "--by", "lena", "--days", "1"]) == 0
    assert "items added to the review queue" in capsys.readouterr().out
    assert main(["review", "list", "--by", "lena"]) == 0
    first = capsys.readouterr().out.split()[0]
    assert first.startswith("#")
    assert main(["review", "mark", first[1:], "wrong", "--by", "lena"]) == 2
    assert "needs a note" in capsys.readouterr().err
    assert main(["review", "mark", first[1:], "correct", "--by", "carol"]) == 2
    assert "may not do this (ai:review)" in capsys.readouterr().err
