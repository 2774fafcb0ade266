"""The phrase catalogue and the requester's language: pure, no database."""

from __future__ import annotations

import re

import pytest

from deskpilot.conversations import phrases
from deskpilot.conversations.replies import Reply, classify, stated_problem
from deskpilot.conversations.routing import is_vague


def test_every_phrase_has_english_and_the_same_fields_in_every_language() -> None:
    for key, texts in phrases.CATALOGUE.items():
        assert phrases.ENGLISH in texts and set(texts) <= phrases.LANGUAGES, key
        fields = {frozenset(re.findall(r"\{(\w+)\}", text)) for text in texts.values() if text}
        assert len(fields) == 1, f"{key}: {fields}"


def test_a_language_without_a_catalogue_gets_english() -> None:
    assert phrases.phrase("confirm", "it") == phrases.phrase("confirm", "en") == "Did this solve it? Answer yes or no."
    handed_off = phrases.phrase("handed_off", "de", ticket=7, promise="")
    assert handed_off.startswith("Sie haben nach einer Person gefragt: DP-7")


@pytest.mark.parametrize(("question", "previous", "expected"), [
    ("Mein VPN verbindet sich nicht", None, "de"),
    ("Mes impressions restent bloquées dans la file d'attente", None, "fr"),
    ("¿Cómo restablezco mi contraseña?", "en", "es"),
    ("我的打印机无法打印", None, "zh"),
    ("My VPN won't connect from home", None, "en"),
    ("VPN?", "de", "de"),            # too short to tell: the conversation keeps its language
    ("ok", None, "en"),
    ("MFA new phone", None, "en"),   # the lite model says Thai; only catalogue languages are acted on
    ("你好", "en", "zh"),             # too short to detect, but only Chinese is written in Han characters
    ("我的Outlook Calendar打不开了", None, "zh"),  # around Latin product names the detector is unsure
    ("my colleague 王伟 cannot log in", None, "en"),
    ("こんにちは、VPNが繋がりません", "en", "en"),  # kana: Japanese, which the catalogue does not speak
])
def test_the_requester_language_comes_from_a_confident_guess_else_the_conversation(
        question: str, previous: str | None, expected: str) -> None:
    assert phrases.requester_language(question, previous) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("ja, danke", Reply.YES), ("Nein, funktioniert immer noch nicht", Reply.NO), ("oui merci", Reply.YES),
    ("non", Reply.NO), ("sí", Reply.YES), ("todavía no funciona", Reply.NO), ("是的", Reply.YES),
    ("没有", Reply.NO), ("didn't help", Reply.NO), ("yes thanks", Reply.YES),
])
def test_yes_and_no_are_understood_in_the_catalogue_languages(reply: str, expected: Reply) -> None:
    assert classify(reply) is expected


@pytest.mark.parametrize(("message", "problem"), [
    ("I need to open a ticket, my monitor flickers", "my monitor flickers"),
    ("Please open a ticket: the badge reader in building C rejects every badge",
     "the badge reader in building C rejects every badge"),
    ("raise an incident for me - the beamer in room 3.10 stays blue", "the beamer in room 3.10 stays blue"),
    ("The scanner on floor 2 jams on every page, please log a ticket", "The scanner on floor 2 jams on every page"),
    ("Bitte ein Ticket anlegen: das Headset knackt bei jedem Anruf", "das Headset knackt bei jedem Anruf"),
    ("Pourriez-vous ouvrir un ticket ? Le clavier ne répond plus", "Le clavier ne répond plus"),
    ("¿Puede abrir una incidencia? La impresora no imprime", "La impresora no imprime"),
    ("请帮我开工单，显示器一直闪烁", "显示器一直闪烁"),
    ("I need to open an incident", None),
    ("could you create a new ticket for me please", None),
    ("Ich möchte ein Ticket aufmachen", None),
    ("Quiero abrir una incidencia", None),
    ("我要开工单", None),
    ("my monitor flickers", None),  # no request for a ticket at all
])
def test_a_request_for_a_ticket_that_already_says_what_is_wrong_yields_the_problem(
        message: str, problem: str | None) -> None:
    assert stated_problem(message) == problem


def test_the_troubleshooting_walk_speaks_the_requester_s_language() -> None:
    step = phrases.phrase("step", "es", number=2, total=5, title="Impresora", step="Reinicie.", citation="[p v1]")
    assert step == "Paso 2 de 5 de «Impresora»: Reinicie. [p v1]"
    assert phrases.phrase("offer_ticket", "de").startswith("Soll ich ein Ticket")
    assert phrases.phrase("which_device", "fr", options="Windows · macOS").endswith("Choisissez : Windows · macOS.")


@pytest.mark.parametrize(("message", "vague"), [
    ("ugh, it is broken again", True), ("I've got an issue", True), ("Outlook keeps crashing", False),
    ("Es geht nicht", True), ("j'ai un problème", True), ("tengo un problema", True),
    ("My VPN does not work", False), ("printer", False), ("mon ordinateur est lent", False), ("打印机坏了", False),
    ("I need access", True), ("no access, again", True), ("I need access to the finance SharePoint site", False),
])
def test_a_problem_is_vague_when_it_names_nothing_to_search_on(message: str, vague: bool) -> None:
    assert is_vague(message) is vague
