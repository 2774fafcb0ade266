"""`deskpilot replay ...` and the gated `deskpilot models promote | rollback` as an operator uses them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.audit import service as audit
from deskpilot.cli import main
from deskpilot.config import Settings
from deskpilot.db import make_engine, session_factory
from deskpilot.triage.engine import CATEGORY_COMPONENT, store
from tests.conftest import migrated_database
from tests.factories import make_user
from tests.governance.conftest import DEGRADED, demo_rows, resolved_history


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, session: Session, model_settings: Settings) -> None:
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(model_settings.data_dir))
    make_user(session, "lena", Role.LEAD)
    resolved_history(session)


def test_replay_gate_from_the_command_line(env: None, session: Session, model_settings: Settings, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "build"]) == 0
    cases = len(demo_rows())
    assert f"replay set v1: {cases} cases ({cases} resolved_ticket)" in capsys.readouterr().out
    bad = tmp_path / "cases.csv"
    bad.write_text("question,category\nVPN is down,Hardware\nPrinter jammed\n", encoding="utf-8")
    assert main(["replay", "import", str(bad)]) == 2
    assert "cases.csv line 3: an answer case needs the expected article" in capsys.readouterr().err
    assert main(["replay", "run", "--candidate", "v0002", "--json", "--no-answers"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False and report["triage"]["by_label"][DEGRADED]["delta_points"] == -100.0

    assert main(["models", "promote", "v0002", "--by", "lena"]) == 2
    refused = capsys.readouterr()
    assert f"{DEGRADED}: accuracy 100.0% → 0.0%" in refused.err and "not promoted" in refused.err
    assert store(model_settings, CATEGORY_COMPONENT).active_version() == "v0001"

    assert main(["models", "promote", "v0002", "--by", "lena", "--override-reason", "pilot of the new IAM"]) == 0
    table = capsys.readouterr().out
    assert "REFUSED" in table and "overriding the replay gate: pilot of the new IAM" in table
    assert main(["models", "rollback", "--by", "lena"]) == 0
    assert "rolled back to v0001" in capsys.readouterr().out
    actions = [e.action for e in audit.get_all(session, subject_type="model")[0]]
    assert actions == ["model.rolled_back", "model.promoted_with_override", "model.promote_refused"]


def test_retraining_a_live_model_goes_through_the_gate(monkeypatch: pytest.MonkeyPatch, model_settings: Settings,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Training with MiniLM is the cost here and the same on both databases: one SQLite database of its own.
    for url in migrated_database("sqlite", tmp_path):
        monkeypatch.setenv("DESKPILOT_DATABASE_URL", url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(model_settings.data_dir))
    engine = make_engine(os.environ["DESKPILOT_DATABASE_URL"])
    with session_factory(engine)() as session:
        resolved_history(session)
    engine.dispose()
    assert main(["replay", "build"]) == 0
    degraded = tmp_path / "degraded.csv"
    degraded.write_text("text,label\n" + "".join(
        f"{row.subject},{'Hardware' if row.category == DEGRADED else row.category}\n"
        for row in demo_rows(per_category=5)), encoding="utf-8")
    capsys.readouterr()

    assert main(["train", "triage", "--csv", str(degraded)]) == 2
    assert f"{DEGRADED}: accuracy 100.0% → 0.0%" in capsys.readouterr().err
    models = store(model_settings, CATEGORY_COMPONENT)
    assert models.active_version() == "v0001" and [v.version for v in models.list_versions()][-1] == "v0003"
