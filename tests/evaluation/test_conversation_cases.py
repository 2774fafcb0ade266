"""The conversation replay file: the shipped set loads, and a bad file is refused naming the case and its line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from deskpilot.cli.eval_conversations import SHIPPED_CASES
from deskpilot.demo import KB_DIR
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.conversations_cases import DEV, TEST, Handling, parse_cases, read_cases, split_of

GOOD = """format_version: 1
cases:
- {id: vpn-1, intent: vpn, expect: answer, slugs: [vpn-error-codes], say: "vpn down"}
- id: mt-1
  intent: status
  expect: status
  ticket: Laptop screen flickering
  turns: ["hello", "any news on DP-{ticket}?"]
"""


def _error(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_cases(text, source="cases.yaml")
    return str(caught.value)


def test_a_good_file_gives_single_and_multi_turn_cases_with_their_lines() -> None:
    single, multi = parse_cases(GOOD, source="cases.yaml")
    assert (single.id, single.expect, single.turns, single.line, single.multi_turn) == (
        "vpn-1", Handling.ANSWER, ("vpn down",), 3, False)
    assert (multi.expect, multi.ticket_subject, multi.line, multi.multi_turn, multi.routine) == (
        Handling.STATUS, "Laptop screen flickering", 4, True, False)


@pytest.mark.parametrize(("broken", "expected"), [
    (GOOD.replace("expect: status", "expect: maybe"), "line 4, case mt-1: `expect` is 'maybe'"),
    (GOOD.replace("slugs: [vpn-error-codes], ", ""), "line 3, case vpn-1: an `answer` case needs `slugs`"),
    (GOOD.replace("  ticket: Laptop screen flickering\n", ""), "line 4, case mt-1: a message uses {ticket}"),
    (GOOD.replace('turns: ["hello", "any news on DP-{ticket}?"]', 'turns: ["hello"]'),
     "case mt-1: `turns` must be a list of 2 to 12"),
    (GOOD.replace("id: mt-1", "id: vpn-1"), "line 4, case vpn-1: the id 'vpn-1' is used twice"),
    (GOOD.replace("intent: vpn,", "intent: vpn, colour: red,"), "case vpn-1: unknown key(s) colour"),
    (GOOD.replace('say: "vpn down"', 'say: ""'), "case vpn-1: `say` must be a non-empty text"),
    (GOOD.replace("format_version: 1", "format_version: 2"), "format_version is 2"),
    ("cases: [", "not valid YAML"),
])
def test_a_bad_file_is_refused_naming_the_case_and_line(broken: str, expected: str) -> None:
    assert expected in _error(broken)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_cases(tmp_path / "nope.yaml")


def test_the_shipped_set_has_the_promised_size_and_cites_only_real_articles() -> None:
    cases = read_cases(SHIPPED_CASES)
    multi = sum(c.multi_turn for c in cases)
    assert len(cases) - multi >= 300 and multi >= 50
    assert set(Counter(c.expect for c in cases)) == set(Handling)
    assert {"de", "fr", "es", "zh"} <= {c.language for c in cases}
    articles = {path.stem for path in KB_DIR.glob("*.md")}
    assert {slug for c in cases for slug in c.slugs} <= articles


@pytest.mark.parametrize("batch", ["conversations_more.yaml", "conversations_third.yaml"])
def test_a_blind_batch_loads_beside_the_other_sets_without_clashing_ids(batch: str) -> None:
    """The blind batches are replayed with --cases; their ids must stay distinct so reports can be merged."""
    blind = read_cases(SHIPPED_CASES.with_name(batch))
    others = {c.id for path in SHIPPED_CASES.parent.glob("conversations*.yaml") if path.name != batch
              for c in read_cases(path)}
    assert not others & {c.id for c in blind}
    assert {c.expect for c in blind} == set(Handling)
    assert {slug for c in blind for slug in c.slugs} <= {path.stem for path in KB_DIR.glob("*.md")}
    for half in (DEV, TEST):
        assert {c.expect for c in blind if c.split == half} == set(Handling)


def test_every_case_falls_in_a_stable_half_and_both_halves_cover_every_kind() -> None:
    cases = read_cases(SHIPPED_CASES)
    assert split_of("vpn-05") == split_of("vpn-05")
    assert {c.split for c in cases} == {DEV, TEST}
    for half in (DEV, TEST):
        assert {c.expect for c in cases if c.split == half} == set(Handling)
