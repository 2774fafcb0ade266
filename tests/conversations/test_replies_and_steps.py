"""The pure parts of the chat: what a short reply means, the steps of an article, client diagnostics."""

from __future__ import annotations

import pytest

from deskpilot.assist.index_store import KbDocument
from deskpilot.conversations.diagnostics import client_info
from deskpilot.conversations.error_messages import match_step, rest_of
from deskpilot.conversations.facets import chosen, clarification, stated_values
from deskpilot.conversations.replies import Reply, classify, is_question, wants_human, without_acknowledgement
from deskpilot.conversations.steps import covers_action, numbered_steps, tried_actions
from deskpilot.demo import KB_DIR


@pytest.mark.parametrize(("text", "meaning"), [
    ("yes", Reply.YES), ("Yes, thanks!", Reply.YES), ("that fixed it", Reply.YES), ("It works now", Reply.YES),
    ("no", Reply.NO), ("No, still the same", Reply.NO), ("didn't help", Reply.NO),
    ("That fixed it? No, still not working", Reply.NO), ("Not really", Reply.NO),
    ("How do I add a printer on my Mac at the Munich office?", Reply.OTHER), ("", Reply.OTHER),
])
def test_short_replies_are_read_as_yes_no_or_a_new_question(text: str, meaning: Reply) -> None:
    assert classify(text) is meaning


@pytest.mark.parametrize(("text", "question"), [
    ("thanks. also how do I set an out of office?", "how do I set an out of office?"),
    ("Thank you so much! btw where is my ticket?", "where is my ticket?"),
    ("done. and how do I scan to email?", "how do I scan to email?"),
    ("ok, my printer jams now", "my printer jams now"),
    ("merci. et comment configurer le wifi ?", "comment configurer le wifi ?"),
    ("alles klar, und wie verbinde ich das VPN?", "wie verbinde ich das VPN?"),
    ("好的，谢谢。另外，打印机怎么添加？", "打印机怎么添加？"), ("好像打印机坏了", "好像打印机坏了"),
    ("thank you", "thank you"), ("Thanks!", "Thanks!"),
    ("Thanksgiving week: who covers the desk?", "Thanksgiving week: who covers the desk?"),
    ("My VPN fails again", "My VPN fails again"),
])
def test_a_thanks_in_front_of_a_new_question_is_left_out_of_it(text: str, question: str) -> None:
    assert without_acknowledgement(text) == question


@pytest.mark.parametrize("text", ["Talk to a human", "can I speak to a person please", "human", "Agent!",
                                  "I want a real person"])
def test_asking_for_a_person_is_recognised(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize("text", [
    "can someone call me back?", "please call me, the laptop is dead", "could a technician ring me today?",
    "I'd like a call-back about my docking station", "ring me back when you can",
    "Können Sie mich bitte zurückrufen?", "Bitte um Rückruf", "Pouvez-vous me rappeler ?",
    "quelqu'un peut m'appeler ?", "Llámeme cuando pueda", "¿me pueden llamar?", "请给我回电话"])
def test_asking_to_be_called_back_is_asking_for_a_person(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize("text", [
    "Habe alles probiert: Mac neu gestartet. Kann ich bitte mit jemandem sprechen?",
    "Ich möchte mit einem Menschen sprechen", "mit einem Mitarbeiter sprechen, bitte",
    "Je voudrais parler à quelqu'un", "Puis-je parler avec un technicien ?",
    "Quiero hablar con una persona", "¿Puedo hablar con alguien del soporte?", "转人工", "我想和真人说话"])
def test_asking_for_a_person_in_other_languages_is_recognised(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize("text", [
    "Ich kann in Teams nicht mit jemandem sprechen, der Ton fehlt", "Ich habe schon mit jemandem gesprochen",
    "Je ne peux pas parler à quelqu'un sur Teams, pas de son", "No puedo hablar con nadie en Teams",
    "我的耳机没有声音", "开会时我不能和人说话"])
def test_calls_that_fail_in_other_languages_are_not_hand_off_requests(text: str) -> None:
    assert not wants_human(text)


@pytest.mark.parametrize("text", [
    "my VPN does not connect", "the human resources portal is down", "people can't call me on Teams",
    "my phone doesn't ring when colleagues call me", "what's the phone number of the IT service desk?",
    "during a phone call my headset cuts out", "how do I set up call forwarding", "the app's callback URL fails",
    "Mein Handy klingelt nicht, wenn man mich anruft"])
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


def test_tried_actions_are_read_from_how_people_say_it_and_match_the_step_that_asks_for_them() -> None:
    assert tried_actions("I already restarted the laptop") == {"restart"}
    assert tried_actions("i rebooted it already") == {"restart"}
    assert tried_actions("I have tried reinstalling GlobalProtect") == {"reinstall"}
    assert tried_actions("already tried that, still not working") == set()
    step = '"Could not connect to the service": the background service stopped. Restart the laptop. Or open Services.'
    assert covers_action(step, {"restart"}) == "restart"
    assert covers_action("If the portal field is empty, enter it and click Connect.", {"connect"}) is None


def test_typed_errors_find_their_step_exactly_or_nearly_and_a_lone_word_finds_nothing() -> None:
    doc = KbDocument("vpn-error-codes", 1, "VPN error messages", '1. **"Authentication failed"**: your password.\n'
                     '2. **"Portal address not valid"**: a typo.\n3. Update fails with `0x800f0922`: free space.')
    found = match_step("Gateway Berlin: Authentification failed", [doc])
    assert found is not None and (found.number, found.error) == (1, "Authentication failed")
    by_code = match_step("the update says 0x800F0922 again", [doc])
    assert by_code is not None and by_code.number == 3 and by_code.by_code and not found.by_code
    assert match_step("it failed", [doc]) is None


def test_the_rest_of_a_message_quoting_an_error_is_what_the_requester_said_besides_it() -> None:
    doc = KbDocument("vpn-error-codes", 1, "VPN error messages", '1. **"Invalid username or password"**: retype.\n'
                     '2. **"No internet"**: check the cable.')
    lan = match_step("No internet via LAN in meeting room 2.11, wifi works", [doc])
    assert lan is not None and rest_of("No internet via LAN in meeting room 2.11, wifi works", lan) == \
        "via LAN in meeting room 2.11, wifi works"
    # Each word of the message is taken out once: the requester's own second "password" stays.
    text = "vpn keeps saying invalid username or password but my password works for email"
    vpn = match_step(text, [doc])
    assert vpn is not None and rest_of(text, vpn) == "vpn keeps saying but my password works for email"
    assert rest_of("No internet", lan) == ""


def test_the_device_question_offers_only_the_values_the_competing_articles_name() -> None:
    windows = KbDocument("vpn-win", 1, "Connect to the company VPN on Windows", "1. a")
    mac = KbDocument("vpn-mac", 1, "Connect to the company VPN on macOS", "1. a")
    printer = KbDocument("printer-mac", 1, "Add a printer on macOS", "1. a")
    offer = clarification("My VPN won't connect", [windows], [windows, mac, printer], {})
    assert offer is not None and offer.options == {"Windows": "vpn-win", "macOS": "vpn-mac"}
    assert clarification("My VPN won't connect", [windows], [windows, mac], {"device": "macOS"}) is None
    assert stated_values("on my MacBook Pro") == {"device": "macOS"}
    assert chosen("the mac one", offer) == "macOS" and chosen("2", offer) == "macOS" and chosen("hm", offer) is None



@pytest.mark.parametrize(("text", "question"), [
    ("how do I share my calendar", True), ("where is the gear icon?", True), ("wie richte ich den Drucker ein", True),
    ("怎么连接会议室屏幕", True), ("it still shows the same error", False), ("I clicked it, nothing happened", False),
])
def test_a_question_is_known_by_its_question_word_or_mark(text: str, question: bool) -> None:
    assert is_question(text) is question
