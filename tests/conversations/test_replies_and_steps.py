"""The pure parts of the chat: what a short reply means, the steps of an article, client diagnostics."""

from __future__ import annotations

import pytest

from deskpilot.conversations.diagnostics import client_info
from deskpilot.conversations.replies import Reply, classify, wants_human
from deskpilot.conversations.steps import numbered_steps
from deskpilot.demo import KB_DIR


@pytest.mark.parametrize(("text", "meaning"), [
    ("yes", Reply.YES), ("Yes, thanks!", Reply.YES), ("that fixed it", Reply.YES), ("It works now", Reply.YES),
    ("no", Reply.NO), ("No, still the same", Reply.NO), ("didn't help", Reply.NO),
    ("That fixed it? No, still not working", Reply.NO), ("Not really", Reply.NO),
    ("How do I add a printer on my Mac at the Munich office?", Reply.OTHER), ("", Reply.OTHER),
])
def test_short_replies_are_read_as_yes_no_or_a_new_question(text: str, meaning: Reply) -> None:
    assert classify(text) is meaning


@pytest.mark.parametrize("text", ["Talk to a human", "can I speak to a person please", "human", "Agent!",
                                  "I want a real person"])
def test_asking_for_a_person_is_recognised(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize("text", ["my VPN does not connect", "the human resources portal is down"])
def test_ordinary_questions_are_not_hand_off_requests(text: str) -> None:
    assert not wants_human(text)


def test_the_first_numbered_list_of_an_article_becomes_the_steps_without_markup() -> None:
    text = (KB_DIR / "vpn-connect-windows.md").read_text(encoding="utf-8")
    steps = numbered_steps(text)
    assert len(steps) == 8
    assert steps[2].startswith("If the portal field is empty, enter vpn.northwind.example and click Connect")
    assert all("**" not in s and "`" not in s for s in steps)


def test_an_article_without_numbered_steps_has_none() -> None:
    assert numbered_steps("Just a paragraph.\n\n- a bullet\n- another") == []


def test_client_diagnostics_name_os_and_browser() -> None:
    chrome = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")
    assert client_info(chrome) | {"user_agent": ""} == {"os": "Windows 10/11", "browser": "Chrome 120",
                                                         "user_agent": ""}
    safari = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.0 Mobile/15E148 Safari/604.1")
    assert client_info(safari)["os"] == "iOS" and client_info(safari)["browser"] == "Safari 17"
    assert client_info(None) == {} and len(client_info("x" * 5000)["user_agent"]) == 512
