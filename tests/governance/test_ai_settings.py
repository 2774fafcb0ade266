"""AI settings an administrator overrides: validated against their range, versioned, audited, shown with their
source (default, environment, admin), and in force at the next request of every app process."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision, DecisionKind
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow
from deskpilot.errors import InvalidInput, NotFound, PermissionDenied
from deskpilot.governance import ai_settings
from deskpilot.runtime import AiRuntime, chat_assistant
from tests.conversations.conftest import load_chat_kb
from tests.factories import SYSTEM, Desk, make_desk
from tests.live_server import live_server, server_settings, serving  # noqa: F401 - fixture of these tests
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of these tests

VPN = "My VPN keeps disconnecting"


@pytest.fixture
def desk(session: Session) -> Desk:
    desk = make_desk(session)
    session.commit()
    return desk


def _answer_decisions(session: Session) -> list[AiDecision]:
    return list(session.scalars(select(AiDecision).where(AiDecision.kind == DecisionKind.ANSWER)
                                .order_by(AiDecision.id)))


def test_a_changed_threshold_is_validated_versioned_audited_and_the_next_chat_turn_uses_it(
        session: Session, desk: Desk, sla_24x7: None, ai_runtime: AiRuntime, tmp_path: Path) -> None:  # noqa: F811
    del sla_24x7
    load_chat_kb(session)
    session.commit()
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path, answer_abstain_below=0.4)
    runtime = dataclasses.replace(ai_runtime, settings=settings)
    adam, alice = Principal.of(desk.adam), Principal.of(desk.alice)
    change = functools.partial(ai_settings.change_ai_setting, session, runtime=runtime)
    shown = {item.knob.name: item.current for item in ai_settings.listing(session, actor=adam, settings=settings)}
    assert (shown["answer_abstain_below"].value, shown["answer_abstain_below"].source) == (0.4, "env")
    assert (shown["triage_abstain_below"].value, shown["triage_abstain_below"].source) == (0.45, "default")

    flow.start(session, actor=alice, assistant=chat_assistant(runtime, session), body=VPN)
    assert not _answer_decisions(session)[-1].abstained  # at 0.4 the VPN article answers

    with pytest.raises(InvalidInput, match="answer_abstain_below: Input should be less than or equal to 1"):
        change(actor=adam, name="answer_abstain_below", value=1.5)
    with pytest.raises(PermissionDenied):
        change(actor=Principal.of(desk.lena), name="answer_abstain_below",
                                      value=0.99)
    with pytest.raises(NotFound, match="'secret_key' is not an AI setting"):
        change(actor=adam, name="secret_key", value="x")
    row = change(actor=adam, name="answer_abstain_below", value=0.99,
                                        reason="too many wrong VPN answers")
    session.commit()
    assert (row.version, row.value, row.changed_by) == (1, 0.99, "adam")

    flow.start(session, actor=alice, assistant=chat_assistant(runtime, session), body=VPN)
    assert _answer_decisions(session)[-1].abstained  # the next turn abstains: nobody restarted anything

    change(actor=adam, name="answer_abstain_below", value=None, reason="undo")
    now = next(i.current for i in ai_settings.listing(session, actor=adam, settings=settings)
               if i.knob.name == "answer_abstain_below")
    assert (now.value, now.source, now.version) == (0.4, "env", 2)
    events = audit.get_all(session, action="ai.setting_changed")[0]
    assert sorted(((e.before["value"], e.after["value"], e.after["version"]) for e in events),
                  key=lambda e: e[2]) == [(None, 0.99, 1), (0.99, None, 2)]
    assert [v.version for v in ai_settings.versions(session, actor=adam, name="answer_abstain_below")] == [2, 1]


def test_auto_apply_takes_only_triage_fields_and_flags_and_counts_are_parsed(
        session: Session, desk: Desk, ai_runtime: AiRuntime, tmp_path: Path) -> None:
    adam = Principal.of(desk.adam)
    change = functools.partial(ai_settings.change_ai_setting, session, runtime=ai_runtime)
    with pytest.raises(InvalidInput, match="bogus cannot be auto-applied"):
        change(actor=adam, name="triage_auto_apply", value="category,bogus")
    stored = change(actor=adam, name="triage_auto_apply", value="priority, category")
    assert stored.value == "category,priority"
    assert ai_settings.parse("answer_rephrase", "off") is False
    assert ai_settings.parse("troubleshoot_offer_after", "4") == 4
    with pytest.raises(InvalidInput, match="'three' is not a whole number"):
        ai_settings.parse("troubleshoot_offer_after", "three")
    with pytest.raises(InvalidInput, match="greater than or equal to 1"):
        change(actor=adam, name="troubleshoot_offer_after", value=0)
    change(actor=adam, name="answer_rephrase", value=False)
    effective = ai_settings.effective(session, Settings(environment=Environment.TEST, data_dir=tmp_path))
    assert (effective.triage_auto_apply, effective.answer_rephrase) == ("category,priority", False)


def _token(session: Session, user_id: int) -> dict[str, str]:
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=user_id, name="test")
    return {"Authorization": f"Bearer {secret}"}


def test_a_threshold_set_through_the_api_holds_in_a_second_app_process(
        session: Session, desk: Desk, live_server: str, database_url: str, tmp_path: Path) -> None:  # noqa: F811
    load_chat_kb(session)
    adam, lena, carol = (_token(session, u.id) for u in (desk.adam, desk.lena, desk.carol))
    session.commit()
    api = f"{live_server}/api/v1/admin/ai-settings"
    with serving(server_settings(database_url, tmp_path / "second", answer_abstain_below=0.4)) as second:
        before = httpx.post(f"{second}/api/v1/assist/answer", json={"question": VPN}, headers=carol, timeout=60)
        assert before.status_code == 200 and not before.json()["abstained"]

        assert httpx.put(f"{api}/answer_abstain_below", json={"value": 2}, headers=adam).status_code == 422
        assert httpx.put(f"{api}/answer_abstain_below", json={"value": 0.9}, headers=lena).status_code == 403
        assert httpx.put(f"{api}/no_such_knob", json={"value": 0.9}, headers=adam).status_code == 404
        changed = httpx.put(f"{api}/answer_abstain_below", json={"value": 1.0, "reason": "pilot"}, headers=adam)
        assert changed.status_code == 200
        assert {k: changed.json()[k] for k in ("value", "source", "version", "changed_by", "minimum", "maximum")} == {
            "value": 1.0, "source": "admin", "version": 1, "changed_by": "adam", "minimum": 0.0, "maximum": 1.0}

        after = httpx.post(f"{second}/api/v1/assist/answer", json={"question": VPN}, headers=carol, timeout=60)
    assert after.json()["abstained"]
    listed = {s["name"]: s for s in httpx.get(api, headers=adam).json()}
    assert listed["answer_abstain_below"]["source"] == "admin" and listed["answer_rerank"]["source"] == "default"
    versions = httpx.get(f"{api}/answer_abstain_below/versions", headers=adam).json()
    assert [(v["version"], v["value"], v["reason"]) for v in versions] == [(1, 1.0, "pilot")]
    assert httpx.get(api, headers=lena).status_code == 403
