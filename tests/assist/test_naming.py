"""How plainly a question names an article by its title and tags: a word only one chunk of the KB holds weighs 1,
a word many chunks share weighs less, a word only the tags hold weighs 1, and one shared word never names an
article."""

from __future__ import annotations

from deskpilot.assist.index_store import KbDocument
from deskpilot.assist.naming import NAMED_MIN, named_weight, question_words
from deskpilot.ml.lexical_index import Bm25Index

ROOMS = KbDocument(slug="rooms", version=1, title="Start a Teams meeting in a meeting room", text="",
                   tags=("teams", "meeting-room", "hdmi"))
CALLS = KbDocument(slug="calls", version=1, title="Fix camera problems in Teams calls", text="", tags=("camera",))
GUEST = KbDocument(slug="guest", version=1, title="Wi-Fi for visitors and personal devices", text="",
                   tags=("wifi", "byod"))
CHUNKS = Bm25Index()
CHUNKS.add([f"c{n}" for n in range(6)], [
    "Start a Teams meeting in a meeting room: plug the HDMI cable into the table connector.",
    "Teams calls: pick the camera and the microphone in Teams settings.",
    "Teams keeps crashing: clear the Teams cache.",
    "Visitors get a voucher for the guest wifi at reception; personal devices sign in.",
    "The corporate wifi on Northwind laptops connects on its own.",
    "Book the room in Outlook before the meeting.",
])


def _weight(question: str, article: KbDocument) -> float:
    return named_weight(question_words(question, foreign=False), article, CHUNKS)


def test_a_word_one_chunk_holds_weighs_one_and_a_word_many_chunks_share_weighs_less() -> None:
    assert _weight("hdmi", ROOMS) == 1.0
    assert 0 < _weight("teams", ROOMS) < _weight("camera", CALLS) == 1.0


def test_a_word_only_the_tags_hold_weighs_as_the_rarest() -> None:
    assert _weight("byod", GUEST) == 1.0


def test_the_title_and_tags_name_an_article_by_more_than_one_rare_word() -> None:
    assert _weight("the hdmi input in the room is dead", ROOMS) >= NAMED_MIN
    assert _weight("can my byod tablet use the wifi", GUEST) >= NAMED_MIN


def test_one_shared_word_never_names_an_article() -> None:
    assert _weight("which room is the party in", ROOMS) < NAMED_MIN
    assert _weight("teams", CALLS) < NAMED_MIN
