"""How plainly a question names an article by its title and tags: a word only one article has weighs 1, a word
many articles share weighs less, and one shared word never names an article."""

from __future__ import annotations

from deskpilot.assist.index_store import KbDocument
from deskpilot.assist.naming import NAMED_MIN, TitleTerms, question_terms


def _article(slug: str, title: str, *tags: str) -> KbDocument:
    return KbDocument(slug=slug, version=1, title=title, text="", tags=tags)


ARTICLES = TitleTerms([
    _article("rooms", "Start a Teams meeting in a meeting room", "teams", "meeting-room", "hdmi"),
    _article("calls", "Fix camera problems in Teams calls", "teams", "camera"),
    _article("vpn-win", "Connect to the VPN on Windows", "vpn"),
    _article("vpn-mac", "Connect to the VPN on macOS", "vpn"),
    _article("guest", "Wi-Fi for visitors and personal devices", "wifi", "byod"),
])


def _weight(question: str, slug: str) -> float:
    return ARTICLES.weight(question_terms(question, foreign=False), slug)


def test_a_word_only_one_article_has_in_its_title_or_tags_weighs_one() -> None:
    assert _weight("hdmi", "rooms") == 1.0
    assert _weight("byod", "guest") == 1.0


def test_a_word_several_articles_share_weighs_less_than_a_rare_one() -> None:
    assert 0 < _weight("teams", "rooms") < _weight("camera", "calls")
    assert _weight("vpn", "vpn-win") < 1.0


def test_the_tags_name_an_article_beside_its_title() -> None:
    assert _weight("the hdmi input in the room is dead", "rooms") >= NAMED_MIN
    assert _weight("can my personal tablet use the wifi", "guest") >= NAMED_MIN


def test_one_shared_word_or_an_unknown_article_never_names_one() -> None:
    assert _weight("which room is the party in", "rooms") < NAMED_MIN
    assert _weight("connect my vpn", "vpn-win") < NAMED_MIN
    assert _weight("hdmi room", "no-such-article") == 0.0
