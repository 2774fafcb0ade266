"""`deskpilot pilot report` for chat answers: answers held back in shadow against what the desk then answered on
the tickets the chat opened — agreement, the answers that would have been wrong, and the time they would have
saved; and the dashboard shows the same figures."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions_models import AiDecision, DecisionKind
from deskpilot.cli import main
from deskpilot.conversations import flow
from deskpilot.conversations.flow import Assistant
from deskpilot.errors import PermissionDenied
from deskpilot.governance import pilot, reviews, switches
from deskpilot.governance.models import AiMode, Capability, Verdict
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.schemas import MessageCreate
from tests.conversations.conftest import assistant, desk  # noqa: F401 - fixtures of these tests
from tests.factories import Desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of these tests

VPN = "My VPN keeps disconnecting"


def test_shadow_answers_are_compared_with_what_the_desk_answered(
        session: Session, desk: Desk, assistant: Assistant, database_url: str,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    lena, carol = Principal.of(desk.lena), Principal.of(desk.carol)
    switches.set_mode(session, actor=lena, capability=Capability.CHAT_DEFLECTION, new_mode=AiMode.SHADOW,
                      reason="pilot before go-live")
    started = [flow.start(session, actor=Principal.of(desk.alice), assistant=assistant, body=VPN)[0]
               for _ in range(3)]
    session.commit()
    decisions = list(session.scalars(select(AiDecision).where(AiDecision.kind == DecisionKind.ANSWER)
                                     .order_by(AiDecision.id)))
    article = decisions[0].sources[0]["slug"]
    # The desk answered the first from the article the AI picked, the second from another, and left the third open.
    for conversation, cited in zip(started[:2], (article, "printer-add"), strict=True):
        assert conversation.ticket_id is not None
        tickets.add_message(session, actor=carol, ticket_id=conversation.ticket_id,
                            data=MessageCreate(body=f"Please follow [{cited} v1]."))
        tickets.change_status(session, actor=carol, ticket_id=conversation.ticket_id, target=TicketStatus.RESOLVED)
    session.commit()

    report = pilot.answer_report(session, actor=lena, settings=assistant.settings, since=decisions[0].created_at)
    assert (report.held_back, report.compared, report.agreed, report.answered_right, report.missed) == (3, 2, 1, 1, 0)
    assert report.agreement == 0.5 and report.minutes_saved == assistant.settings.kpi_minutes_per_ticket
    assert [(w.ticket_id, w.ai_article, w.desk_articles) for w in report.wrong] == [
        (started[1].ticket_id, article, ["printer-add"])]
    with pytest.raises(PermissionDenied):
        pilot.answer_report(session, actor=Principal.of(desk.carol), settings=assistant.settings,
                            since=decisions[0].created_at)

    # A reviewer who finds the agreed answer wrong has the last word.
    item = next(i for i in reviews.sample(session, actor=lena, since=decisions[0].created_at, per_stratum=10).added
                if i.item_ref == decisions[0].id)
    reviews.mark(session, actor=lena, review_id=item.id, verdict=Verdict.WRONG, note="outdated portal address")
    session.commit()
    again = pilot.answer_report(session, actor=lena, settings=assistant.settings, since=decisions[0].created_at)
    assert (again.agreed, len(again.wrong)) == (0, 2)

    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(assistant.settings.data_dir))
    assert main(["pilot", "report", "--days", "1"]) == 0
    printed = capsys.readouterr().out
    assert "chat answers held back by an AI switch in the last 1 days: 3; 2 on tickets people resolved since" in printed
    assert f"would have been wrong: DP-{started[1].ticket_id}: AI answered from {article}, the desk cited " \
           "printer-add" in printed
