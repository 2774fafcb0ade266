"""The cold-start pieces of `eval classify --shots`: descriptions from label names, seeded shots, the lexical
zero-shot baseline."""

from __future__ import annotations

from deskpilot.evaluation.datasets import LabelledText
from deskpilot.evaluation.few_shot import LabelNameMatch, label_description, sample_shots, with_descriptions


def test_a_label_name_becomes_its_words() -> None:
    assert label_description("card_arrival") == "card arrival"
    assert label_description("alarm.query") == "alarm query"
    assert label_description("getExchangeRate") == "get exchange rate"
    assert label_description("pin-blocked") == "pin blocked"


def test_shots_are_k_per_label_the_same_every_time() -> None:
    rows = [LabelledText(f"{label} text {i}", label) for label in ("a", "b", "c") for i in range(7)]
    rows.append(LabelledText("only one", "d"))
    drawn = sample_shots(rows, 5)
    assert [r.label for r in drawn].count("a") == 5 and [r.label for r in drawn].count("d") == 1
    assert drawn == sample_shots(rows, 5) and sample_shots(rows, 0) == []
    described = with_descriptions(drawn, ["a", "b", "oos"], oos_label="oos")
    assert described[-2:] == [LabelledText("a", "a"), LabelledText("b", "b")]


def test_label_name_match_picks_the_label_with_most_shared_stems_and_abstains_on_none() -> None:
    labels = ["card_arrival", "lost_or_stolen_card", "exchange_rate"]
    model = LabelNameMatch().train([label_description(label) for label in labels], labels)
    arrived, stolen, nothing = model.predict(["My card has not arrived yet", "someone stole my card",
                                              "hello there"])
    assert arrived.label == "card_arrival" and not arrived.abstained
    assert stolen.label == "lost_or_stolen_card"
    assert nothing.abstained and nothing.confidence == 0.0
